package replica

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func newKeyedCounters(replica string) *Keyed {
	return NewKeyed(func(key string) (State, error) {
		if !strings.HasPrefix(key, "c/") {
			return nil, fmt.Errorf("%w: %q has no c/ prefix", ErrUnknownKey, key)
		}
		return newCounterState(replica), nil
	})
}

// TestKeyedConverges replicates many keyed records with one engine per node
// over a faulty network; every node ends with equal records and encodings.
func TestKeyedConverges(t *testing.T) {
	for _, seed := range seeds(t, 4) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (replay with REPLICA_SEED=%d)", seed, seed)
			rng := rand.New(rand.NewPCG(seed, 2))
			net := NewMemNetwork(seed, Faults{Loss: 0.2, Duplicate: 0.1, Reorder: true})
			ids := []string{"a", "b", "c"}
			keyed := map[string]*Keyed{}
			eng := map[string]*Engine{}
			for i, id := range ids {
				keyed[id] = newKeyedCounters(id)
				e, err := New(Config{ID: id, Epoch: uint64(i + 1), State: keyed[id], Transport: net.Transport(id),
					Logger: quietLogger(), MaxBufferedDeltas: 3, AntiEntropyTicks: 5})
				require.NoError(t, err)
				for _, o := range ids {
					e.AddPeer(o)
				}
				eng[id] = e
			}
			round := func() {
				for _, id := range ids {
					eng[id].Tick()
				}
				for {
					to, env, ok := net.Next()
					if !ok {
						return
					}
					require.NoError(t, eng[to].Handle(env))
				}
			}
			want := map[string]uint64{}
			for range 60 {
				id := ids[rng.IntN(3)]
				key := fmt.Sprintf("c/%d", rng.IntN(8))
				n := 1 + rng.Uint64N(3)
				require.NoError(t, keyed[id].Update(key, func(s State) error { s.(*counterState).Inc(n); return nil }))
				want[key+"@"+id] += n
				round()
			}
			net.faults.Loss, net.faults.Duplicate = 0, 0
			same := func() bool {
				a, _ := keyed["a"].Snapshot()
				for _, id := range ids[1:] {
					b, _ := keyed[id].Snapshot()
					if string(a) != string(b) {
						return false
					}
				}
				return true
			}
			for r := 0; !same(); r++ {
				require.Less(t, r, 200, "no convergence")
				round()
			}
			for _, id := range ids {
				for _, key := range keyed[id].Keys() {
					r, err := keyed[id].Get(key)
					require.NoError(t, err)
					for rep, v := range r.(*counterState).snapshotMap() {
						require.Equal(t, want[key+"@"+rep], v, "%s %s %s", id, key, rep)
					}
					require.Empty(t, r.(*counterState).Violations())
				}
			}
		})
	}
}

func TestKeyedRefusesBadInput(t *testing.T) {
	k := newKeyedCounters("a")
	require.ErrorIs(t, k.Update("x/1", func(State) error { return nil }), ErrUnknownKey)
	_, err := k.Get("c/1")
	require.ErrorIs(t, err, ErrUnknownKey)
	// field 1 (items) length-delimited but truncated; a bad tag; an item
	// whose key runs past the end.
	for _, bad := range [][]byte{{0x0a, 5, 1}, {0x0b}, {0x0a, 4, 1, 0x0a, 9, 'c'}} {
		err := k.MergeDelta(bad)
		require.ErrorContains(t, err, "KeyedBatch", "input %v", bad)
		require.ErrorContains(t, err, "replica: keyed: decode delta", "input %v", bad)
	}
	good, err := encodeBatchOf(map[string]string{"c/1": "a=3;", "c/2": "b=1;"})
	require.NoError(t, err)
	require.NoError(t, k.MergeState(good))
	require.Equal(t, []string{"c/1", "c/2"}, k.Keys())
	snap, err := k.Snapshot()
	require.NoError(t, err)
	require.Equal(t, good, snap)
	require.ErrorContains(t, k.MergeState(append(good, 0x0a, 0x7f)), "KeyedBatch")
}

func encodeBatchOf(m map[string]string) ([]byte, error) {
	k := NewKeyed(func(string) (State, error) { return newCounterState("z"), nil })
	for key, v := range m {
		if err := k.Update(key, func(s State) error { return s.MergeState([]byte(v)) }); err != nil {
			return nil, err
		}
	}
	return k.Snapshot()
}

func FuzzKeyedMerge(f *testing.F) {
	good, _ := encodeBatchOf(map[string]string{"c/1": "a=3;"})
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{1, 0x80})
	f.Fuzz(func(t *testing.T, p []byte) {
		k := newKeyedCounters("a")
		if err := k.MergeState(p); err != nil {
			return
		}
		_, err := k.Snapshot()
		require.NoError(t, err)
	})
}
