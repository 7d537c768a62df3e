package wal_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/raftstoretest"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

func openWAL(t testing.TB, dir string, cfg wal.Config) *wal.WAL {
	t.Helper()
	w, err := wal.Open(dir, cfg)
	require.NoError(t, err)
	return w
}

// configs exercise the default layout, a segment per few entries (rolling,
// cross-segment reads and truncations) and reads that always miss the cache.
var configs = map[string]func() wal.Config{
	"default": wal.DefaultConfig,
	"tiny segments": func() wal.Config {
		c := wal.DefaultConfig()
		c.SegmentSize = 128
		return c
	},
	"no cache": func() wal.Config {
		c := wal.DefaultConfig()
		c.SegmentSize = 300
		c.CacheEntries = 0
		return c
	},
	"small cache": func() wal.Config {
		c := wal.DefaultConfig()
		c.SegmentSize = 1000
		c.CacheEntries = 3
		return c
	},
}

func TestConformance(t *testing.T) {
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			raftstoretest.RunLogStore(t, raftstoretest.Harness{
				Open: func(t *testing.T) raft.LogStore { return openWAL(t, t.TempDir(), cfg()) },
				Reopen: func(t *testing.T, s raft.LogStore) raft.LogStore {
					w := s.(*wal.WAL)
					require.NoError(t, w.Close())
					return openWAL(t, w.Dir(), cfg())
				},
			})
		})
	}
}

func segments(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	sort.Strings(m)
	return m
}

func TestSegmentsRollAndPrefixDeletesWholeSegments(t *testing.T) {
	dir := t.TempDir()
	cfg := wal.DefaultConfig()
	cfg.SegmentSize = 256
	w := openWAL(t, dir, cfg)
	for i := uint64(1); i <= 40; i++ {
		require.NoError(t, w.Append(raftstoretest.Ents(i, i, 1)))
	}
	segs := segments(t, dir)
	require.Greater(t, len(segs), 5, "40 entries of ~40 bytes in 256-byte segments")
	require.NoError(t, w.TruncatePrefix(20))
	after := segments(t, dir)
	require.Less(t, len(after), len(segs))
	require.Equal(t, segs[len(segs)-len(after):], after, "only the oldest segments go")
	raftstoretest.CheckContents(t, w, 21, 40, fill(20, 1))
	require.NoError(t, w.Close())

	w = openWAL(t, dir, cfg)
	defer w.Close()
	raftstoretest.CheckContents(t, w, 21, 40, fill(20, 1))
}

func fill(n int, term uint64) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = term
	}
	return out
}

// TestGroupCommit: many appenders that order their appends under one lock
// and wait outside it all get their entries, in index order, sharing fsyncs;
// some use the synchronous Append, which may write inline.
func TestGroupCommit(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, wal.DefaultConfig())
	var (
		mu   sync.Mutex
		next uint64 = 1
		wg   sync.WaitGroup
	)
	const appenders, per = 16, 20
	errs := make(chan error, appenders*per)
	for a := 0; a < appenders; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < per; k++ {
				mu.Lock()
				if k%4 == 3 {
					// Append writes inline when the committer is idle and
					// joins its batch otherwise; either way in order.
					errs <- w.Append(raftstoretest.Ents(next, next, 1))
					next++
					mu.Unlock()
					continue
				}
				ch := w.AppendAsync(raftstoretest.Ents(next, next, 1))
				next++
				mu.Unlock()
				errs <- <-ch
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	raftstoretest.CheckContents(t, w, 1, appenders*per, fill(appenders*per, 1))
	st := w.Stats()
	require.Equal(t, uint64(appenders*per), st.Appends)
	require.Equal(t, uint64(appenders*per), st.Entries)
	require.Less(t, st.Batches, st.Appends, "concurrent appends share fsyncs")
	require.Equal(t, st.Batches, st.Syncs, "one fsync per batch without rolling")
	t.Logf("%d appends in %d fsyncs", st.Appends, st.Syncs)
	require.NoError(t, w.Close())
	w = openWAL(t, dir, wal.DefaultConfig())
	defer w.Close()
	raftstoretest.CheckContents(t, w, 1, appenders*per, fill(appenders*per, 1))
}

// writeLog makes a closed WAL holding entries 1..n of term 1 and returns
// its single segment's path.
func writeLog(t testing.TB, dir string, n uint64) string {
	t.Helper()
	w := openWAL(t, dir, wal.DefaultConfig())
	for i := uint64(1); i <= n; i++ {
		require.NoError(t, w.Append(raftstoretest.Ents(i, i, 1)))
	}
	require.NoError(t, w.Close())
	segs := segments(t, dir)
	require.Len(t, segs, 1)
	return segs[0]
}

// recordOverhead is the distance from the start of entry i's record to its
// Data (writeLog's entries): the 12-byte record header and the encoding of
// the other fields, which precede Data.
func recordOverhead(i uint64) int {
	e := raftstoretest.Ents(i, i, 1)[0]
	return 12 + e.Size() - len(e.Data)
}

// recordOffsets returns the offset of each entry's Data in a segment written by
// writeLog (entries whose data is raftstoretest.Data).
func recordOffsets(t *testing.T, seg []byte, n uint64) []int {
	t.Helper()
	var offs []int
	from := 0
	for i := uint64(1); i <= n; i++ {
		d := raftstoretest.Data(i, 1)
		at := bytes.Index(seg[from:], d)
		require.GreaterOrEqual(t, at, 0)
		offs = append(offs, from+at)
		from += at + len(d)
	}
	return offs
}

func TestTornTailRecovers(t *testing.T) {
	cases := []struct {
		name string
		// damage returns the new segment bytes and how many entries survive.
		damage func(seg []byte, dataAt []int) ([]byte, uint64)
	}{
		{"partial payload", func(seg []byte, at []int) ([]byte, uint64) { return seg[:at[9]+3], 9 }},
		{"partial header", func(seg []byte, at []int) ([]byte, uint64) { return seg[:at[9]-recordOverhead(10)+5], 9 }},
		{"one byte of the last record", func(seg []byte, at []int) ([]byte, uint64) { return seg[:len(seg)-1], 9 }},
		{"bad checksum in the last record", func(seg []byte, at []int) ([]byte, uint64) {
			seg[at[9]+2] ^= 0x10
			return seg, 9
		}},
		{"zeroed tail", func(seg []byte, at []int) ([]byte, uint64) {
			for i := at[8] - recordOverhead(9); i < len(seg); i++ {
				seg[i] = 0
			}
			return seg, 8
		}},
		{"zeros appended", func(seg []byte, at []int) ([]byte, uint64) { return append(seg, make([]byte, 4096)...), 10 }},
		{"garbage header after the last record", func(seg []byte, at []int) ([]byte, uint64) {
			return append(seg, 1, 2, 3, 4, 5), 10
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeLog(t, dir, 10)
			seg, err := os.ReadFile(path)
			require.NoError(t, err)
			seg, keep := tc.damage(seg, recordOffsets(t, seg, 10))
			require.NoError(t, os.WriteFile(path, seg, 0o644))

			w := openWAL(t, dir, wal.DefaultConfig())
			raftstoretest.CheckContents(t, w, 1, keep, fill(int(keep), 1))
			// The log continues where the tail was cut, and survives a restart.
			require.NoError(t, w.Append(raftstoretest.Ents(keep+1, keep+3, 2)))
			require.NoError(t, w.Close())
			w = openWAL(t, dir, wal.DefaultConfig())
			defer w.Close()
			raftstoretest.CheckContents(t, w, 1, keep+3, append(fill(int(keep), 1), 2, 2, 2))
		})
	}
}

func TestCorruptionMidLogIsReported(t *testing.T) {
	dir := t.TempDir()
	path := writeLog(t, dir, 10)
	seg, err := os.ReadFile(path)
	require.NoError(t, err)
	at := recordOffsets(t, seg, 10)
	for _, tc := range []struct {
		name string
		pos  int
	}{
		{"payload bit of entry 5", at[4] + 3},
		{"header bit of entry 5 (its length)", at[4] - recordOverhead(5) + 1},
		{"header checksum of entry 5", at[4] - recordOverhead(5) + 9},
		{"payload bit of entry 1", at[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(seg)
			bad[tc.pos] ^= 0x01
			require.NoError(t, os.WriteFile(path, bad, 0o644))
			_, err := wal.Open(dir, wal.DefaultConfig())
			require.ErrorIs(t, err, wal.ErrCorrupt)
			var ce *wal.CorruptError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, path, ce.Path)
			require.Contains(t, err.Error(), filepath.Base(path))
			require.Contains(t, err.Error(), fmt.Sprintf("offset %d", ce.Offset))
			require.LessOrEqual(t, ce.Offset, int64(tc.pos), "the reported record starts at or before the flipped bit")
			require.Greater(t, ce.Offset+64, int64(tc.pos), "and is the record holding it")
			// Nothing was changed on disk: repairing the bit recovers everything.
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, bad, after)
		})
	}
	require.NoError(t, os.WriteFile(path, seg, 0o644))
	w := openWAL(t, dir, wal.DefaultConfig())
	defer w.Close()
	raftstoretest.CheckContents(t, w, 1, 10, fill(10, 1))
}

func TestCorruptSegmentsReported(t *testing.T) {
	cfg := wal.DefaultConfig()
	cfg.SegmentSize = 128
	mk := func(t *testing.T) (string, []string) {
		dir := t.TempDir()
		w := openWAL(t, dir, cfg)
		for i := uint64(1); i <= 12; i++ {
			require.NoError(t, w.Append(raftstoretest.Ents(i, i, 1)))
		}
		require.NoError(t, w.Close())
		segs := segments(t, dir)
		require.Greater(t, len(segs), 3)
		return dir, segs
	}
	t.Run("missing middle segment", func(t *testing.T) {
		dir, segs := mk(t)
		require.NoError(t, os.Remove(segs[1]))
		_, err := wal.Open(dir, cfg)
		require.ErrorIs(t, err, wal.ErrCorrupt)
		require.Contains(t, err.Error(), filepath.Base(segs[2]))
	})
	t.Run("truncated middle segment", func(t *testing.T) {
		dir, segs := mk(t)
		fi, err := os.Stat(segs[1])
		require.NoError(t, err)
		require.NoError(t, os.Truncate(segs[1], fi.Size()-2))
		_, err = wal.Open(dir, cfg)
		require.ErrorIs(t, err, wal.ErrCorrupt)
		require.Contains(t, err.Error(), filepath.Base(segs[1]))
	})
	t.Run("bad magic", func(t *testing.T) {
		dir, segs := mk(t)
		f, err := os.OpenFile(segs[0], os.O_RDWR, 0)
		require.NoError(t, err)
		_, err = f.WriteAt([]byte("XX"), 0)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		_, err = wal.Open(dir, cfg)
		require.ErrorIs(t, err, wal.ErrCorrupt)
		require.Contains(t, err.Error(), filepath.Base(segs[0]))
	})
	t.Run("damaged first-index file", func(t *testing.T) {
		dir, _ := mk(t)
		w := openWAL(t, dir, cfg)
		require.NoError(t, w.TruncatePrefix(3))
		require.NoError(t, w.Close())
		p := filepath.Join(dir, "first-index")
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		b[len(b)-1] ^= 0xff
		require.NoError(t, os.WriteFile(p, b, 0o644))
		_, err = wal.Open(dir, cfg)
		require.ErrorIs(t, err, wal.ErrCorrupt)
		require.Contains(t, err.Error(), "first-index")
	})
}

// TestReadDetectsCorruptionAfterOpen: a record damaged on disk after it was
// recovered is reported when read (cache off so the read goes to disk).
func TestReadDetectsCorruptionAfterOpen(t *testing.T) {
	dir := t.TempDir()
	path := writeLog(t, dir, 5)
	cfg := wal.DefaultConfig()
	cfg.CacheEntries = 0
	w := openWAL(t, dir, cfg)
	defer w.Close()
	seg, err := os.ReadFile(path)
	require.NoError(t, err)
	at := recordOffsets(t, seg, 5)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{seg[at[2]] ^ 0x40}, int64(at[2]))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = w.Entries(1, 6, 0)
	require.ErrorIs(t, err, wal.ErrCorrupt)
	es, err := w.Entries(4, 6, 0)
	require.NoError(t, err)
	require.Len(t, es, 2)
}

func TestDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, dir, wal.DefaultConfig())
	_, err := wal.Open(dir, wal.DefaultConfig())
	require.ErrorIs(t, err, wal.ErrLocked)
	require.ErrorContains(t, err, dir)
	require.NoError(t, w.Close())
	w = openWAL(t, dir, wal.DefaultConfig()) // released by Close
	require.NoError(t, w.Close())
}

func TestOpenRejectsBadConfig(t *testing.T) {
	cfg := wal.DefaultConfig()
	cfg.SegmentSize = 0
	_, err := wal.Open(t.TempDir(), cfg)
	require.ErrorContains(t, err, "SegmentSize")
}

func TestEntriesRange(t *testing.T) {
	w := openWAL(t, t.TempDir(), wal.DefaultConfig())
	defer w.Close()
	require.NoError(t, w.Append(raftstoretest.Ents(1, 3, 1)))
	_, err := w.Entries(3, 2, 0)
	require.ErrorContains(t, err, "lo 3 > hi 2")
	require.NoError(t, w.Append([]raftwire.Entry{}))
}

// TestOverwrittenTailStaysGoneAfterPrefixTruncation: entries 1-5 of term 1,
// then 3-4 of term 2 overwrite the tail (5 goes), then the prefix is
// compacted up to 3 or 4. Reopened, the log must end at 4, of term 2:
// etcd's WAL replayed the overwrite only above the snapshot index, so the
// discarded entry 5 came back and won the node votes it must not get
// (etcd-io/etcd#22442).
func TestOverwrittenTailStaysGoneAfterPrefixTruncation(t *testing.T) {
	ent := func(i, term uint64) raftwire.Entry { return raftwire.Entry{Index: i, Term: term, Data: []byte("x")} }
	for name, cfg := range configs {
		for _, compact := range []uint64{3, 4} {
			t.Run(fmt.Sprintf("%s/compact to %d", name, compact), func(t *testing.T) {
				dir := t.TempDir()
				w := openWAL(t, dir, cfg())
				require.NoError(t, w.Append([]raftwire.Entry{ent(1, 1), ent(2, 1), ent(3, 1), ent(4, 1), ent(5, 1)}))
				require.NoError(t, w.Append([]raftwire.Entry{ent(3, 2), ent(4, 2)}))
				require.NoError(t, w.TruncatePrefix(compact))
				require.NoError(t, w.Close())
				w = openWAL(t, dir, cfg())
				defer w.Close()
				last, err := w.LastIndex()
				require.NoError(t, err)
				require.Equal(t, uint64(4), last, "the overwritten entry 5 came back")
				if compact < 4 {
					term, err := w.Term(4)
					require.NoError(t, err)
					require.Equal(t, uint64(2), term)
				}
			})
		}
	}
}
