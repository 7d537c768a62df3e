package raft

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

type linInput struct {
	put        bool
	key, value string
}

// kvModel is a register per key; puts with an unknown outcome are recorded
// as calls that never return.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(linInput).key
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(byKey))
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in := input.(linInput)
		if in.put {
			return true, in.value
		}
		return output.(string) == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(linInput)
		if in.put {
			return fmt.Sprintf("put(%s, %s)", in.key, in.value)
		}
		return fmt.Sprintf("get(%s) -> %v", in.key, output)
	},
}

// notApplied reports errors after which the proposal certainly had no effect.
func notApplied(err error) bool {
	return errors.Is(err, ErrNotLeader) || errors.Is(err, ErrLeadershipLost) || errors.Is(err, ErrTransferInProgress)
}

// TestLinearizability runs concurrent clients against a key-value FSM on a
// 3-node cluster with seeded message loss, duplication and reordering,
// random partitions and crash-restarts from the stores, and checks the
// history with porcupine. Reads go through the log or through ReadIndex.
// 50 seeds by default, 500 with SOAK=1; replay with RAFT_SEED=<seed>.
func TestLinearizability(t *testing.T) {
	for _, seed := range seeds(t, 50, 500) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (replay with RAFT_SEED=%d)", seed, seed)
			runLinearizability(t, seed, nil)
		})
	}
}

// TestLinearizabilityWAL is TestLinearizability with every server on the
// real WAL, stable store and snapshot store, crashed servers reopening their
// stores from disk. 5 seeds by default, 50 with SOAK=1.
func TestLinearizabilityWAL(t *testing.T) {
	for _, seed := range seeds(t, 5, 50) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (replay with RAFT_SEED=%d)", seed, seed)
			dir := t.TempDir()
			runLinearizability(t, seed, func(id string) *testStores {
				logs, stable, snaps, err := openDurableStores(filepath.Join(dir, id))
				require.NoError(t, err)
				return &testStores{logs, stable, snaps}
			})
		})
	}
}

// runLinearizability runs one seed. stores, when set, opens a server's
// durable stores; it is called again to reopen them after a crash. When nil,
// in-memory stores survive the crash instead.
func runLinearizability(t *testing.T, seed uint64, stores func(id string) *testStores) {
	rng := rand.New(rand.NewPCG(seed, 2))
	c := newClusterWith(t, 3, seed, func(cfg *Config) {
		cfg.HeartbeatInterval = 10 * time.Millisecond
		cfg.ElectionTimeoutMin = 60 * time.Millisecond
		cfg.ElectionTimeoutMax = 120 * time.Millisecond
		cfg.SnapshotThreshold = 32
		cfg.TrailingLogs = 8
		cfg.SnapshotChunkSize = 128
	}, func(id string, s *testStores) {
		if stores != nil {
			*s = *stores(id)
		}
	})
	c.reopen = stores
	st := c.trackInvariants()
	c.net.SetFaults(Faults{Loss: 0.02, Duplicate: 0.02, Reorder: 0.05, ReorderDelay: 10 * time.Millisecond, MaxDelay: time.Millisecond})

	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	var mu sync.Mutex
	var history []porcupine.Operation
	var completed atomic.Int64 // operations that returned an outcome
	record := func(op porcupine.Operation) {
		mu.Lock()
		history = append(history, op)
		mu.Unlock()
		if op.Return != math.MaxInt64 {
			completed.Add(1)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	const clients = 4
	for cl := range clients {
		crng := rand.New(rand.NewPCG(seed, uint64(100+cl)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				var leader *Node
				var fsm *kvFSM
				c.mu.Lock()
				for _, id := range c.ids {
					if n := c.nodes[id]; n != nil && n.Role() == Leader {
						leader, fsm = n, c.fsms[id]
					}
				}
				c.mu.Unlock()
				if leader == nil {
					time.Sleep(2 * time.Millisecond)
					continue
				}
				key := fmt.Sprintf("k%d", crng.IntN(3))
				octx, ocancel := context.WithTimeout(ctx, 150*time.Millisecond)
				call := now()
				switch crng.IntN(4) {
				case 0, 1:
					val := fmt.Sprintf("%d.%d", cl, i)
					_, err := leader.Propose(octx, putCmd(key, val))
					op := porcupine.Operation{ClientId: cl, Input: linInput{put: true, key: key, value: val}, Call: call, Return: now()}
					switch {
					case err == nil:
						record(op)
					case notApplied(err):
					default:
						op.Return = math.MaxInt64 // may or may not have happened
						record(op)
					}
				case 2:
					r, err := leader.Propose(octx, getCmd(key))
					if err == nil {
						record(porcupine.Operation{ClientId: cl, Input: linInput{key: key}, Output: r.Response.(string), Call: call, Return: now()})
					}
				case 3:
					if _, err := leader.ReadIndex(octx); err == nil {
						v := fsm.get(key)
						record(porcupine.Operation{ClientId: cl, Input: linInput{key: key}, Output: v, Call: call, Return: now()})
					}
				}
				ocancel()
			}
		}()
	}
	crashed := ""
	deadline := time.Now().Add(400 * time.Millisecond)
	for time.Now().Before(deadline) {
		time.Sleep(time.Duration(30+rng.IntN(70)) * time.Millisecond)
		id := c.ids[rng.IntN(len(c.ids))]
		switch rng.IntN(4) {
		case 0:
			c.net.Isolate(id)
		case 1:
			c.net.Heal()
		case 2:
			if crashed == "" {
				c.crash(id)
				crashed = id
			}
		case 3:
			if crashed != "" {
				c.start(crashed)
				crashed = ""
			}
		}
	}
	c.net.Heal()
	if crashed != "" {
		c.start(crashed)
	}
	// Let clients finish some operations on the healed cluster; on a
	// loaded machine that can take longer than the fault phase itself.
	healed := completed.Load()
	waitFor(t, 20*time.Second, "operations complete on the healed cluster", func() bool {
		return completed.Load() >= healed+clients
	})
	cancel()
	wg.Wait()

	c.checkStateMachineSafety()
	st.mu.Lock()
	require.Empty(t, st.violations)
	st.mu.Unlock()
	res, info := porcupine.CheckOperationsVerbose(kvModel, history, 30*time.Second)
	if res != porcupine.Ok {
		path := fmt.Sprintf("%s/lin-%d.html", t.TempDir(), seed)
		_ = porcupine.VisualizePath(kvModel, info, path)
		t.Fatalf("history of %d operations is %s (seed %d)", len(history), res, seed)
	}
	t.Logf("%d operations linearizable", len(history))
}
