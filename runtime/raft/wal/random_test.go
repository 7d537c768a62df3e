package wal_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

// TestRandomOpsAgainstModel drives the WAL with random appends (many of them
// conflicting), prefix truncations, resets and restarts, in small segments with a
// small cache, and compares every read with a plain in-memory model. Replay
// one seed with WAL_SEED=n; SOAK=1 runs more seeds.
func TestRandomOpsAgainstModel(t *testing.T) {
	seeds := []uint64{}
	switch {
	case os.Getenv("WAL_SEED") != "":
		s, err := strconv.ParseUint(os.Getenv("WAL_SEED"), 10, 64)
		require.NoError(t, err)
		seeds = append(seeds, s)
	case os.Getenv("SOAK") != "":
		for i := 0; i < 200; i++ {
			seeds = append(seeds, uint64(time.Now().UnixNano())+uint64(i))
		}
	default:
		for i := uint64(1); i <= 12; i++ {
			seeds = append(seeds, i)
		}
	}
	for _, seed := range seeds {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			t.Logf("seed %d (replay with WAL_SEED=%d)", seed, seed)
			runRandomOps(t, seed, 150)
		})
	}
}

func runRandomOps(t *testing.T, seed uint64, ops int) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cfg := wal.DefaultConfig()
	cfg.SegmentSize = int64(200 + r.IntN(4000))
	cfg.CacheEntries = r.IntN(12)
	dir := t.TempDir()
	w := openWAL(t, dir, cfg)
	defer func() { w.Close() }()

	// The model: entries [first, first+len(log)).
	first := uint64(1)
	var log []raftwire.Entry
	last := func() uint64 { return first + uint64(len(log)) - 1 }
	term := uint64(1)

	for op := 0; op < ops; op++ {
		switch k := r.IntN(20); {
		case k < 12: // append, conflicting about a third of the time
			at := last() + 1
			if len(log) > 0 && r.IntN(3) == 0 {
				at = first + uint64(r.IntN(len(log)))
				term++
			}
			n := 1 + r.IntN(6)
			es := make([]raftwire.Entry, n)
			for i := range es {
				data := make([]byte, r.IntN(300))
				for j := range data {
					data[j] = byte(r.Uint32())
				}
				if r.IntN(10) == 0 {
					data = nil
				}
				es[i] = raftwire.Entry{Index: at + uint64(i), Term: term, Type: raftwire.EntryType(r.IntN(3)), Data: data}
			}
			require.NoError(t, w.Append(es), "op %d: append %d..%d", op, at, at+uint64(n)-1)
			log = append(log[:at-first], es...)
		case k < 15: // truncate prefix somewhere around the log
			idx := first - 1 + uint64(r.IntN(len(log)+3))
			require.NoError(t, w.TruncatePrefix(idx), "op %d: truncate prefix %d", op, idx)
			switch {
			case idx < first:
			case idx >= last():
				log, first = nil, idx+1
			default:
				log, first = log[idx+1-first:], idx+1
			}
		case k < 16 && r.IntN(3) == 0: // reset somewhere around the log
			idx := first - 1 + uint64(r.IntN(len(log)+3))
			require.NoError(t, w.Reset(idx), "op %d: reset %d", op, idx)
			log, first = nil, idx+1
		case k < 17: // restart
			require.NoError(t, w.Close())
			w = openWAL(t, dir, cfg)
		default: // a refused append: a gap
			err := w.Append([]raftwire.Entry{{Index: last() + 2, Term: term}})
			require.Error(t, err)
		}

		// Compare.
		fi, err := w.FirstIndex()
		require.NoError(t, err)
		li, err := w.LastIndex()
		require.NoError(t, err)
		require.Equal(t, first, fi, "op %d first", op)
		require.Equal(t, last(), li, "op %d last", op)
		if len(log) == 0 {
			continue
		}
		lo := first + uint64(r.IntN(len(log)))
		hi := lo + 1 + uint64(r.IntN(int(last()-lo+1)))
		maxBytes := uint64(0)
		if r.IntN(2) == 0 {
			maxBytes = uint64(r.IntN(1000))
		}
		got, err := w.Entries(lo, hi, maxBytes)
		require.NoError(t, err)
		want := log[lo-first : hi-first]
		var size uint64
		for i, e := range want {
			size += uint64(len(e.Data))
			if maxBytes > 0 && i > 0 && size > maxBytes {
				want = want[:i]
				break
			}
		}
		require.Equal(t, want, got, "op %d entries [%d,%d) max %d", op, lo, hi, maxBytes)
		i := first + uint64(r.IntN(len(log)))
		tm, err := w.Term(i)
		require.NoError(t, err)
		require.Equal(t, log[i-first].Term, tm)
	}
}
