package replica

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dwsdk/distributed/gen/replicawire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestConvergesUnderFaults runs random increments on 3 to 5 nodes over a
// network that loses, duplicates and reorders envelopes (and in some seeds
// isolates a node for a while and keeps a tiny delta buffer), then requires
// equal, complete states, no delta applied across a gap, and empty buffers.
func TestConvergesUnderFaults(t *testing.T) {
	for _, seed := range seeds(t, 24) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (replay with REPLICA_SEED=%d)", seed, seed)
			rng := rand.New(rand.NewPCG(seed, 1))
			f := Faults{Loss: 0.05 + 0.3*rng.Float64(), Duplicate: 0.2 * rng.Float64(), Reorder: true}
			if rng.IntN(2) == 0 {
				f.BroadcastLimit = 64
			}
			bufMax := 1024
			if rng.IntN(2) == 0 {
				bufMax = 1 + rng.IntN(4)
			}
			n := 3 + rng.IntN(3)
			c := newCluster(t, seed, f, n, func(cfg *Config) {
				cfg.MaxBufferedDeltas = bufMax
				cfg.AntiEntropyTicks = 7
			})
			cut := ""
			for round := range 120 {
				if round == 30 && rng.IntN(2) == 0 {
					cut = c.ids[rng.IntN(n)]
					c.net.Isolate(cut, true)
				}
				if round == 80 && cut != "" {
					c.net.Isolate(cut, false)
				}
				for range rng.IntN(3) {
					c.inc(c.ids[rng.IntN(n)], 1+rng.Uint64N(5))
				}
				c.round()
			}
			c.net.faults.Loss, c.net.faults.Duplicate = 0, 0 // let it finish
			rounds := c.settle(500)
			t.Logf("settled %d rounds after the last update", rounds)
			c.requireCausal()
		})
	}
}

// TestCausalGapNeverApplied delivers a stream out of order by hand: a delta
// after a gap waits, the ack asks for the gap, and filling it applies both
// in order.
func TestCausalGapNeverApplied(t *testing.T) {
	st := newCounterState("b")
	net := NewMemNetwork(1, Faults{})
	net.Transport("a")
	e, err := New(Config{ID: "b", Epoch: 1, State: st, Transport: net.Transport("b"), Logger: quietLogger()})
	require.NoError(t, err)
	from := func(items ...replicawire.Delta) *replicawire.Envelope {
		return &replicawire.Envelope{From: "a", Epoch: 7, Replica: "a", To: "b", ToEpoch: 1, Deltas: &replicawire.Deltas{Items: items}}
	}
	d1 := replicawire.Delta{Seq: 1, Data: []byte("a 0 2")}
	d2 := replicawire.Delta{Seq: 2, Data: []byte("a 2 5")}
	d3 := replicawire.Delta{Seq: 3, Data: []byte("a 5 6")}

	require.NoError(t, e.Handle(from(d3)))
	require.NoError(t, e.Handle(from(d2)))
	require.Empty(t, st.snapshotMap(), "deltas after a gap were applied")
	require.Equal(t, uint64(2), e.Stats().DeltasHeld)
	ack := lastAck(t, e)
	require.Equal(t, replicawire.Ack{Seq: 0, Missing: true}, ack)

	require.NoError(t, e.Handle(from(d1)))
	require.Equal(t, map[string]uint64{"a": 6}, st.snapshotMap())
	require.Equal(t, replicawire.Ack{Seq: 3}, lastAck(t, e))
	require.NoError(t, e.Handle(from(d2, d3)))
	require.Equal(t, uint64(2), e.Stats().DeltasDuplicate)
	require.Empty(t, st.Violations())
}

// lastAck returns the ack of the last envelope e sent.
func lastAck(t *testing.T, e *Engine) replicawire.Ack {
	t.Helper()
	mt := e.cfg.Transport.(*MemTransport)
	var last *replicawire.Envelope
	for {
		_, env, ok := mt.net.Next()
		if !ok {
			break
		}
		last = env
	}
	require.NotNil(t, last)
	require.NotNil(t, last.Ack)
	return *last.Ack
}

// TestBufferReclaimedOnceEveryPeerAcked: deltas stay buffered while one
// peer has not acknowledged them, and go once it has.
func TestBufferReclaimedOnceEveryPeerAcked(t *testing.T) {
	c := newCluster(t, 1, Faults{}, 3, nil)
	c.net.Isolate("c", true)
	for range 5 {
		c.inc("a", 1)
		c.round()
	}
	require.Equal(t, 5, c.eng["a"].Stats().Buffered, "deltas reclaimed before c acknowledged them")
	require.Equal(t, map[string]uint64{"a#1": 5}, c.state["b"].snapshotMap())
	c.net.Isolate("c", false)
	c.settle(50)
	require.Zero(t, c.eng["a"].Stats().BufferedBytes)
	require.Zero(t, c.eng["a"].Stats().StatesSent, "the buffer covered c: no full state needed")
	c.requireCausal()
}

// TestSuspendedPeerReleasesBuffer: a peer membership reports failed no
// longer holds the buffer; when it is back it catches up by full state.
func TestSuspendedPeerReleasesBuffer(t *testing.T) {
	c := newCluster(t, 2, Faults{}, 3, nil)
	c.net.Isolate("c", true)
	for range 5 {
		c.inc("a", 2)
		c.round()
	}
	require.Equal(t, 5, c.eng["a"].Stats().Buffered)
	c.eng["a"].SuspendPeer("c")
	require.Zero(t, c.eng["a"].Stats().Buffered, "a suspended peer still holds the buffer")
	require.Equal(t, []string{"b"}, c.eng["a"].Peers())
	c.net.Isolate("c", false)
	c.eng["a"].AddPeer("c")
	c.settle(50)
	require.Positive(t, c.eng["a"].Stats().StatesSent)
	c.requireCausal()
}

// TestFullStateFallback: a peer that falls further behind than the buffer
// bound is brought up to date with the full state, never with a gap.
func TestFullStateFallback(t *testing.T) {
	c := newCluster(t, 3, Faults{}, 3, func(cfg *Config) { cfg.MaxBufferedDeltas = 4 })
	c.net.Isolate("c", true)
	for i := range 20 {
		c.inc("a", uint64(i+1))
		c.inc("b", 1)
		c.round()
	}
	sa := c.eng["a"].Stats()
	require.Positive(t, sa.DeltasDropped)
	require.LessOrEqual(t, sa.Buffered, 4)
	c.net.Isolate("c", false)
	c.settle(50)
	require.Positive(t, c.eng["a"].Stats().StatesSent)
	require.Positive(t, c.eng["b"].Stats().StatesSent)
	require.GreaterOrEqual(t, c.eng["c"].Stats().StatesApplied, uint64(2))
	c.requireCausal()
}

// TestDigestSkipsIdenticalState: a peer whose state already equals ours
// (restored out of band) is fast-forwarded by a digest, not sent the state.
func TestDigestSkipsIdenticalState(t *testing.T) {
	c := newCluster(t, 4, Faults{}, 2, func(cfg *Config) { cfg.MaxBufferedDeltas = 2 })
	c.net.Isolate("b", true)
	for range 10 {
		c.inc("a", 3)
		c.round()
	}
	snap, err := c.state["a"].Snapshot()
	require.NoError(t, err)
	require.NoError(t, c.state["b"].MergeState(snap))
	c.net.Isolate("b", false)
	c.settle(20)
	require.Zero(t, c.eng["a"].Stats().StatesSent, "identical state was transferred")
	require.Zero(t, c.eng["b"].Stats().StatesApplied)
	require.Positive(t, c.eng["b"].Stats().DigestMatches)
}

// TestDivergenceRepaired: a state changed without a delta (a bug, or data
// restored on one node) is found by anti-entropy and repaired by a full
// state exchange.
func TestDivergenceRepaired(t *testing.T) {
	c := newCluster(t, 5, Faults{}, 3, func(cfg *Config) { cfg.AntiEntropyTicks = 3 })
	c.inc("a", 1)
	c.settle(20)
	c.state["b"].poke("ghost", 9)
	c.want["ghost"] = 9
	c.settle(30)
	var repairs uint64
	for _, id := range c.ids {
		repairs += c.eng[id].Stats().Repairs
	}
	require.Positive(t, repairs)
}

// TestAntiEntropySkipsEqualStates: on a quiet, converged cluster digests
// match and nothing else is transferred.
func TestAntiEntropySkipsEqualStates(t *testing.T) {
	c := newCluster(t, 6, Faults{}, 3, func(cfg *Config) { cfg.AntiEntropyTicks = 2 })
	c.inc("a", 4)
	c.inc("c", 1)
	c.settle(20)
	before := c.eng["b"].Stats()
	for range 10 {
		c.round()
	}
	after := c.eng["b"].Stats()
	require.Greater(t, after.DigestMatches, before.DigestMatches)
	require.Equal(t, before.StatesSent, after.StatesSent)
	require.Equal(t, before.DeltasSent, after.DeltasSent)
}

// TestRemovePeerPrunes: a peer membership reports gone has its replica id
// pruned by the lowest live replica only, once the survivors' states
// matched; it stops holding the buffer, and its stale messages are ignored.
func TestRemovePeerPrunes(t *testing.T) {
	c := newCluster(t, 7, Faults{}, 3, func(cfg *Config) { cfg.AntiEntropyTicks = 2 })
	c.inc("c", 5)
	c.settle(20)
	stale := &replicawire.Envelope{From: "c", Epoch: c.eng["c"].Epoch(), Replica: "c#3", To: "a",
		Deltas: &replicawire.Deltas{Items: []replicawire.Delta{{Seq: 2, Data: []byte("c#3 5 99")}}}}

	c.net.Isolate("c", true)
	c.inc("a", 1)
	c.round()
	require.Equal(t, 1, c.eng["a"].Stats().Buffered)
	require.NoError(t, c.eng["a"].RemovePeer("c"))
	require.NoError(t, c.eng["b"].RemovePeer("c"))
	require.Empty(t, c.state["a"].Pruned(), "pruned before the survivors' digests matched")
	require.Equal(t, []string{"b"}, c.eng["a"].Peers())
	for range 6 {
		c.round()
	}
	require.Equal(t, []string{"c#3"}, c.state["a"].Pruned(), "a, the lowest live replica, must prune")
	require.Empty(t, c.state["b"].Pruned(), "only one survivor may prune")
	require.Equal(t, []string{"c#3"}, c.eng["b"].Departed())
	require.Zero(t, c.eng["a"].Stats().Buffered)

	require.NoError(t, c.eng["a"].Handle(stale))
	require.Equal(t, uint64(5), c.state["a"].snapshotMap()["c#3"], "a message from a removed incarnation was applied")

	// b learned from a's announcements that c#3 is pruned; when a is then
	// declared dead too, b alone is no majority of {a, b}: it prunes nothing.
	require.NoError(t, c.eng["b"].RemoveDeadPeer("a"))
	for range 4 {
		c.round()
	}
	require.Empty(t, c.state["b"].Pruned(), "a lone survivor pruned without a majority")
}

// TestPruneWaitsForUpdatesOnlyAnotherSurvivorHas: the departed node's last
// delta reached b but not a, the designated pruner. a must not prune (which
// would erase that update everywhere) before anti-entropy brought it over.
func TestPruneWaitsForUpdatesOnlyAnotherSurvivorHas(t *testing.T) {
	c := newCluster(t, 12, Faults{}, 3, func(cfg *Config) { cfg.AntiEntropyTicks = 3 })
	c.inc("c", 2)
	c.settle(20)
	c.inc("c", 5)
	c.eng["c"].Tick()
	c.deliverOnly(func(to, _ string) bool { return to == "b" }) // c's delta reaches b only, then c dies
	c.net.Isolate("c", true)
	require.Equal(t, uint64(7), c.state["b"].snapshotMap()["c#3"])
	require.Equal(t, uint64(2), c.state["a"].snapshotMap()["c#3"])
	require.NoError(t, c.eng["a"].RemovePeer("c"))
	require.NoError(t, c.eng["b"].RemovePeer("c"))
	for r := 0; len(c.state["a"].Pruned()) == 0; r++ {
		require.Less(t, r, 50, "never pruned")
		c.round()
	}
	require.Equal(t, uint64(7), c.state["a"].prunedAt["c#3"], "pruned before holding every update of the departed replica")
	require.Positive(t, c.eng["a"].Stats().Repairs+c.eng["b"].Stats().Repairs)
}

// TestRestartedPeerCatchesUp: a node restarted with a new epoch, a fresh
// state and a new replica id receives everything, its old replica id is
// pruned, and its new stream is not confused with the old one.
func TestRestartedPeerCatchesUp(t *testing.T) {
	c := newCluster(t, 8, Faults{Loss: 0.1, Reorder: true}, 3, nil)
	for i := range 10 {
		c.inc(c.ids[i%3], 1)
		c.round()
	}
	c.settle(100)
	old := c.state["c"].id
	c.start("c")
	for _, other := range c.ids {
		c.eng["c"].AddPeer(other)
	}
	c.inc("c", 7)
	c.inc("a", 1)
	c.settle(200)
	for r := 0; len(c.state["a"].Pruned()) == 0; r++ {
		require.Less(t, r, 300, "never pruned")
		c.round()
	}
	require.Equal(t, []string{old}, c.state["a"].Pruned())
	require.Empty(t, c.state["b"].Pruned())
	c.requireCausal()
}

// TestMergeErrorPullsState: a delta the state refuses is not acknowledged;
// the receiver pulls the sender's full state, which covers it.
func TestMergeErrorPullsState(t *testing.T) {
	c := newCluster(t, 9, Faults{}, 2, nil)
	refused := 0
	c.state["b"].refuse = func(d []byte) bool { refused++; return refused == 1 }
	c.inc("a", 2)
	c.eng["a"].Tick()
	to, env, ok := c.net.Next()
	require.True(t, ok)
	require.Equal(t, "b", to)
	err := c.eng["b"].Handle(env)
	require.ErrorContains(t, err, `merge delta 1 from "a"`)
	require.Equal(t, uint64(1), c.eng["b"].Stats().MergeErrors)
	c.deliver()
	c.settle(20)
	require.Equal(t, uint64(1), c.eng["a"].Stats().StatesSent)
}

// TestInvalidEnvelopes: envelopes that break the protocol are refused with
// an error naming the problem, and nothing of them is applied.
func TestInvalidEnvelopes(t *testing.T) {
	d := func(seqs ...uint64) *replicawire.Deltas {
		ds := &replicawire.Deltas{}
		for _, s := range seqs {
			ds.Items = append(ds.Items, replicawire.Delta{Seq: s, Data: []byte(fmt.Sprintf("x %d %d", s-1, s))})
		}
		return ds
	}
	for _, tc := range []struct {
		name string
		env  *replicawire.Envelope
		want string
	}{
		{"nil", nil, "nil envelope"},
		{"no sender", &replicawire.Envelope{Epoch: 1}, "no sender"},
		{"epoch 0", &replicawire.Envelope{From: "x"}, `from "x" has epoch 0`},
		{"seq 0", &replicawire.Envelope{From: "x", Epoch: 1, Deltas: d(0)}, "delta 0 has sequence number 0"},
		{"not consecutive", &replicawire.Envelope{From: "x", Epoch: 1, Deltas: d(1, 3)}, "delta 1 has sequence number 3 after 1"},
		{"misaddressed", &replicawire.Envelope{From: "x", Epoch: 1, To: "z", Deltas: d(1)}, `addressed to "z"`},
		{"ack beyond stream", &replicawire.Envelope{From: "x", Epoch: 1, ToEpoch: 1, Ack: &replicawire.Ack{Seq: 4}, Deltas: d(1)}, "beyond our last 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newCounterState("b")
			e, err := New(Config{ID: "b", Epoch: 1, State: st, Transport: NewMemNetwork(1, Faults{}).Transport("b"), Logger: quietLogger()})
			require.NoError(t, err)
			if tc.env != nil {
				tc.env.Pruned = []string{"gone-1"} // an announcement is applied only with the rest
			}
			err = e.Handle(tc.env)
			require.ErrorIs(t, err, ErrInvalidMessage)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, st.snapshotMap())
			require.Empty(t, e.Departed(), "the refused envelope's pruning announcement was applied")
			require.Empty(t, e.Peers(), "the refused envelope's sender became a peer")
			require.Equal(t, uint64(1), e.Stats().InvalidMessages)
		})
	}
}

func TestConfigValidation(t *testing.T) {
	st := newCounterState("a")
	tr := NewMemNetwork(1, Faults{}).Transport("a")
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no id", Config{State: st, Transport: tr}, "ID is empty"},
		{"no state", Config{ID: "a", Transport: tr}, "State is nil"},
		{"no transport", Config{ID: "a", State: st}, "Transport is nil"},
		{"negative buffer", Config{ID: "a", State: st, Transport: tr, MaxBufferedDeltas: -1}, "MaxBufferedDeltas -1"},
		{"negative tick", Config{ID: "a", State: st, Transport: tr, TickInterval: -1}, "TickInterval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
	e, err := New(Config{ID: "a", State: st, Transport: tr})
	require.NoError(t, err)
	require.Equal(t, "a", e.cfg.Replica)
	require.NotZero(t, e.Epoch())
	require.Equal(t, DefaultConfig().MaxBufferedDeltas, e.cfg.MaxBufferedDeltas)
}

// errTransport fails every send.
type errTransport struct{}

func (errTransport) Send(string, *replicawire.Envelope) error { return errors.New("down") }
func (errTransport) Inbound() <-chan *replicawire.Envelope    { return nil }

func TestTransportFailuresCounted(t *testing.T) {
	st := newCounterState("a")
	e, err := New(Config{ID: "a", Epoch: 1, State: st, Transport: errTransport{}, Logger: quietLogger()})
	require.NoError(t, err)
	e.AddPeer("b")
	st.Inc(1)
	e.Tick()
	require.Equal(t, uint64(1), e.Stats().TransportFailures)
	require.Equal(t, 1, e.Stats().Buffered)
}

// TestDeadOriginsPartialDeltaRepaired: an origin's last delta reached only
// one of the survivors before the origin failed for good; anti-entropy must
// still bring the survivors together (the stream will never be resent).
func TestDeadOriginsPartialDeltaRepaired(t *testing.T) {
	c := newCluster(t, 13, Faults{}, 3, func(cfg *Config) { cfg.AntiEntropyTicks = 3 })
	c.inc("c", 2)
	c.settle(20)
	c.inc("c", 5)
	c.eng["c"].Tick()
	for {
		to, env, ok := c.net.Next()
		if !ok {
			break
		}
		if to == "b" {
			require.NoError(t, c.eng["b"].Handle(env))
		}
	}
	c.net.Isolate("c", true)
	c.eng["a"].SuspendPeer("c")
	c.eng["b"].SuspendPeer("c")
	c.ids = []string{"a", "b"} // c is gone: convergence of the survivors
	c.settle(50)
	require.Positive(t, c.eng["a"].Stats().Repairs+c.eng["b"].Stats().Repairs)
}

// TestStuckGapPullsState: the sender believes the receiver has a delta the
// receiver never got (a digest match fast-forwarded only the sender's side)
// and no longer resends it; the receiver, whose later deltas wait behind the
// gap, pulls the full state instead of waiting for ever. (Found by SOAK=1.)
func TestStuckGapPullsState(t *testing.T) {
	c := newCluster(t, 14, Faults{}, 2, func(cfg *Config) { cfg.DisableAntiEntropy = true })
	for i := range 3 {
		c.inc("a", 1)
		c.eng["a"].Tick()
		for {
			to, env, ok := c.net.Next()
			if !ok {
				break
			}
			if i != 1 { // delta 2 is lost
				require.NoError(t, c.eng[to].Handle(env))
			}
		}
	}
	e := c.eng["a"]
	e.mu.Lock()
	e.peers["b"].acked, e.peers["b"].sent = 2, 2 // as a one-sided fast-forward leaves it
	e.reclaim()
	e.mu.Unlock()
	c.settle(30)
	require.Positive(t, c.eng["b"].Stats().GapPulls)
	c.requireCausal()
}
