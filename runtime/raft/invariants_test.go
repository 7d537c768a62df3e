package raft

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clusters maps a network to its test cluster, so the become-leader hook
// can find the cluster of a node.
var clusters sync.Map // *Network -> *cluster

// invariantState records what the election-safety and leader-completeness
// checks need.
type invariantState struct {
	mu         sync.Mutex
	leaders    map[uint64]string // term -> leader
	violations []string
}

func (c *cluster) trackInvariants() *invariantState {
	st := &invariantState{leaders: map[uint64]string{}}
	clusters.Store(c.net, struct {
		c  *cluster
		st *invariantState
	}{c, st})
	c.t.Cleanup(func() { clusters.Delete(c.net) })
	return st
}

func init() {
	hook := func(n *Node) {
		mt, ok := n.trans.(*MemTransport)
		if !ok {
			return
		}
		v, ok := clusters.Load(mt.net)
		if !ok {
			return
		}
		entry := v.(struct {
			c  *cluster
			st *invariantState
		})
		c, st := entry.c, entry.st
		term := n.term.Load()
		st.mu.Lock()
		defer st.mu.Unlock()
		// Election safety: at most one leader per term.
		if other, ok := st.leaders[term]; ok && other != n.id {
			st.violations = append(st.violations, fmt.Sprintf("election safety: %s and %s both led term %d", other, n.id, term))
		}
		st.leaders[term] = n.id
		// Leader completeness: the new leader holds every entry any state
		// machine has applied (unless its snapshot covers it).
		c.mu.Lock()
		fsms := append([]*kvFSM(nil), c.allFSMs...)
		c.mu.Unlock()
		first := n.log.firstIndex()
		for _, f := range fsms {
			f.mu.Lock()
			var last appliedEntry
			if len(f.applied) > 0 {
				last = f.applied[len(f.applied)-1]
			}
			f.mu.Unlock()
			if last.index == 0 || last.index < first {
				continue
			}
			ents, err := n.log.entries(last.index, last.index+1, 0)
			if err != nil || len(ents) != 1 || !bytes.Equal(ents[0].Data, []byte(last.cmd)) {
				st.violations = append(st.violations, fmt.Sprintf(
					"leader completeness: %s (term %d) lacks applied entry %d %q: %v %v", n.id, term, last.index, last.cmd, ents, err))
			}
		}
	}
	testHookBecomeLeader.Store(&hook)
}

// seeds returns the seeds to run: RAFT_SEED replays one, SOAK=1 runs many.
func seeds(t *testing.T, normal, soak int) []uint64 {
	if s := os.Getenv("RAFT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		return []uint64{v}
	}
	n := normal
	if os.Getenv("SOAK") != "" {
		n = soak
	}
	base := uint64(time.Now().UnixNano())
	out := make([]uint64, n)
	for i := range out {
		out[i] = base + uint64(i)
	}
	return out
}

// TestRandomFaultsInvariants runs a 5-node cluster under seeded message
// loss, duplication, reordering, partitions and crash-restarts while
// clients write, and checks election safety, leader completeness, log
// matching and state-machine safety. Replay with RAFT_SEED=<seed>.
func TestRandomFaultsInvariants(t *testing.T) {
	for _, seed := range seeds(t, 3, 30) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (replay with RAFT_SEED=%d)", seed, seed)
			runRandomFaults(t, seed)
		})
	}
}

func runRandomFaults(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	c := newCluster(t, 5, seed, func(cfg *Config) {
		cfg.HeartbeatInterval = 20 * time.Millisecond
		cfg.ElectionTimeoutMin = 150 * time.Millisecond
		cfg.ElectionTimeoutMax = 300 * time.Millisecond
		cfg.SnapshotThreshold = 64
		cfg.TrailingLogs = 16
		cfg.MaxAppendEntries = 16
		cfg.SnapshotChunkSize = 256
	})
	st := c.trackInvariants()
	t.Cleanup(func() {
		if t.Failed() {
			c.dump()
		}
	})
	c.net.SetFaults(Faults{Loss: 0.05, Duplicate: 0.05, Reorder: 0.1, ReorderDelay: 15 * time.Millisecond, MaxDelay: 2 * time.Millisecond})

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
				c.propose(pctx, putCmd(fmt.Sprintf("k%d", i%5), fmt.Sprintf("%d-%d", w, i)))
				pcancel()
			}
		}()
	}
	crashed := map[string]bool{}
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		time.Sleep(time.Duration(50+rng.IntN(150)) * time.Millisecond)
		id := c.ids[rng.IntN(len(c.ids))]
		switch rng.IntN(5) {
		case 0:
			c.net.Isolate(id)
		case 1:
			perm := rng.Perm(len(c.ids))
			var a, b []string
			for i, p := range perm {
				if i < 2 {
					a = append(a, c.ids[p])
				} else {
					b = append(b, c.ids[p])
				}
			}
			c.net.Partition(a, b)
		case 2:
			c.net.Heal()
		case 3:
			if len(crashed) < 2 && !crashed[id] {
				c.crash(id)
				crashed[id] = true
			}
		case 4:
			for id := range crashed {
				c.start(id)
				delete(crashed, id)
				break
			}
		}
	}
	cancel()
	wg.Wait()
	c.net.Heal()
	c.net.SetFaults(Faults{})
	for id := range crashed {
		c.start(id)
	}
	c.checkStateMachineSafety()
	c.checkLogMatching()
	st.mu.Lock()
	require.Empty(t, st.violations)
	st.mu.Unlock()
	// Liveness after the faults end: every server applies a new entry.
	fctx, fcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer fcancel()
	r, err := c.propose(fctx, putCmd("final", "x"))
	require.NoError(t, err)
	c.waitApplied(20*time.Second, r.Index)
	c.checkStateMachineSafety()
	c.checkLogMatching()
	for _, id := range c.ids {
		require.Equal(t, "x", c.fsms[id].get("final"), id)
	}
	// Leaders elected after the faults count too: under heavy partitions
	// none may have won while they lasted.
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Empty(t, st.violations)
	require.NotEmpty(t, st.leaders)
}
