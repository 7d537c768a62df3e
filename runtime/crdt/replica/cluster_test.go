package replica

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// cluster is a deterministic set of engines on a synchronous MemNetwork.
type cluster struct {
	t      *testing.T
	net    *MemNetwork
	ids    []string
	eng    map[string]*Engine
	state  map[string]*counterState
	gc     map[string]*gcState // instead of state, in clusters of newGCluster
	want   map[string]uint64   // total increments per CRDT replica id
	epochs uint64
	mod    func(*Config)
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newCluster(t *testing.T, seed uint64, f Faults, n int, mod func(*Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, state: map[string]*counterState{}}
	return c.init(seed, f, n, mod)
}

func (c *cluster) init(seed uint64, f Faults, n int, mod func(*Config)) *cluster {
	c.net, c.eng, c.want, c.mod = NewMemNetwork(seed, f), map[string]*Engine{}, map[string]uint64{}, mod
	for i := range n {
		c.ids = append(c.ids, string(rune('a'+i)))
	}
	for _, id := range c.ids {
		c.start(id)
	}
	for _, id := range c.ids {
		for _, other := range c.ids {
			c.eng[id].AddPeer(other)
		}
	}
	return c
}

// newGCluster is newCluster with runtime/crdt G-Counters (real pruning
// markers) as the states, in c.gc.
func newGCluster(t *testing.T, seed uint64, f Faults, n int, mod func(*Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, gc: map[string]*gcState{}}
	return c.init(seed, f, n, mod)
}

// start (re)starts node id with a new epoch, a fresh state and a fresh CRDT
// replica id.
func (c *cluster) start(id string) *Engine {
	c.t.Helper()
	c.epochs++
	replica := fmt.Sprintf("%s#%d", id, c.epochs)
	var st State
	if c.gc != nil {
		c.gc[id] = newGCState(replica)
		st = c.gc[id]
	} else {
		c.state[id] = newCounterState(replica)
		st = c.state[id]
	}
	cfg := Config{
		ID: id, Replica: replica, Epoch: c.epochs, State: st,
		Transport: c.net.Transport(id), Logger: quietLogger(),
	}
	if c.mod != nil {
		c.mod(&cfg)
	}
	e, err := New(cfg)
	require.NoError(c.t, err)
	c.eng[id] = e
	return e
}

func (c *cluster) inc(id string, n uint64) {
	if g := c.gc[id]; g != nil {
		g.inc(n)
		c.want[string(g.id)] += n
		return
	}
	st := c.state[id]
	st.Inc(n)
	c.want[st.id] += n
}

// until runs rounds until cond holds, failing after maxRounds.
func (c *cluster) until(what string, maxRounds int, cond func() bool) int {
	c.t.Helper()
	for r := range maxRounds {
		if cond() {
			return r
		}
		c.round()
	}
	for _, id := range c.ids {
		c.t.Logf("%s: stats %+v departed %v", id, c.eng[id].Stats(), c.eng[id].Departed())
	}
	c.t.Fatalf("%s: not within %d rounds", what, maxRounds)
	return maxRounds
}

// round ticks every engine once, then delivers until the network is empty.
func (c *cluster) round() {
	c.t.Helper()
	for _, id := range c.ids {
		c.eng[id].Tick()
	}
	c.deliver()
}

func (c *cluster) deliver() {
	c.t.Helper()
	for range 1_000_000 {
		to, env, ok := c.net.Next()
		if !ok {
			return
		}
		if e := c.eng[to]; e != nil {
			require.NoError(c.t, e.Handle(env), "deliver to %s", to)
		}
	}
	c.t.Fatal("network did not drain")
}

// converged reports whether every state holds exactly the expected counts.
func (c *cluster) converged() bool {
	for _, id := range c.ids {
		got := c.state[id].snapshotMap()
		if len(got) != len(c.want) {
			return false
		}
		for k, v := range c.want {
			if got[k] != v {
				return false
			}
		}
	}
	return true
}

func (c *cluster) drained() bool {
	for _, id := range c.ids {
		if c.eng[id].Stats().Buffered != 0 {
			return false
		}
	}
	return true
}

// settle runs rounds until every state converged and every buffer drained.
func (c *cluster) settle(maxRounds int) int {
	c.t.Helper()
	for r := range maxRounds {
		if c.converged() && c.drained() {
			return r
		}
		c.round()
	}
	for _, id := range c.ids {
		c.t.Logf("%s: %v stats %+v", id, c.state[id].snapshotMap(), c.eng[id].Stats())
	}
	c.t.Logf("want %v", c.want)
	c.t.Fatalf("no convergence within %d rounds", maxRounds)
	return maxRounds
}

func (c *cluster) requireCausal() {
	c.t.Helper()
	for _, id := range c.ids {
		require.Empty(c.t, c.state[id].Violations(), "node %s applied a delta across a gap", id)
	}
}

// seeds returns the seeds of a randomised test: REPLICA_SEED replays one,
// SOAK=1 runs many, the default run a fixed handful.
func seeds(t *testing.T, def int) []uint64 {
	if s := os.Getenv("REPLICA_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "REPLICA_SEED")
		return []uint64{v}
	}
	n, base := def, uint64(1)
	if os.Getenv("SOAK") != "" {
		n, base = 50*def, rand.Uint64()
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = base + uint64(i)
	}
	return out
}
