package replica

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/crdt"
)

// lossy draws the faults of a seeded pruning test.
func lossy(rng *rand.Rand) Faults {
	f := Faults{Loss: 0.05 + 0.2*rng.Float64(), Duplicate: 0.1 * rng.Float64(), Reorder: true}
	if rng.IntN(2) == 0 {
		f.BroadcastLimit = 64
	}
	return f
}

// kill isolates node id for good and takes it out of the rounds.
func (c *cluster) kill(id string) {
	c.net.Isolate(id, true)
	c.ids = slices.DeleteFunc(c.ids, func(x string) bool { return x == id })
}

// declareDead tells every listed survivor's engine what membership would:
// first failed (suspended), then given up on (RemoveDeadPeer).
func (c *cluster) declareDead(dead string, survivors ...string) {
	c.t.Helper()
	for _, s := range survivors {
		c.eng[s].SuspendPeer(dead)
	}
	for _, s := range survivors {
		require.NoError(c.t, c.eng[s].RemoveDeadPeer(dead))
	}
}

// gcTotal is the sum of the increments of the replicas in want, taking for
// each replica in partial the count the survivors hold instead.
func (c *cluster) gcTotal(partial map[string]uint64) uint64 {
	var sum uint64
	for r, n := range c.want {
		if p, ok := partial[r]; ok {
			n = p
		}
		sum += n
	}
	return sum
}

// heldOf returns the highest count of replica r among the nodes' states
// (what survives of a dead replica is what reached someone).
func (c *cluster) heldOf(r string, nodes ...string) uint64 {
	var held uint64
	for _, id := range nodes {
		g := c.gc[id]
		g.mu.Lock()
		held = max(held, g.c.Entry(crdt.ReplicaID(r)))
		g.mu.Unlock()
	}
	return held
}

// TestDeadPeerPrunedThenMarkerForgotten: a node dies for good on a lossy
// network. Once membership gives up on it, exactly one survivor prunes its
// replica id, no survivor's state names it any more, nothing it had
// replicated is lost or counted twice, it pins no delta buffer, the pruning
// markers appear on every survivor and go back to 0 once every survivor
// acknowledged the pruning, and after that a stale message of the dead
// incarnation cannot bring its entry back.
func TestDeadPeerPrunedThenMarkerForgotten(t *testing.T) {
	for _, seed := range seeds(t, 6) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (replay with REPLICA_SEED=%d)", seed, seed)
			rng := rand.New(rand.NewPCG(seed, 2))
			c := newGCluster(t, seed, lossy(rng), 4, func(cfg *Config) { cfg.AntiEntropyTicks = 5 })
			for range 30 {
				for range rng.IntN(3) {
					c.inc(c.ids[rng.IntN(4)], 1+rng.Uint64N(5))
				}
				c.round()
			}
			dead := string(c.gc["d"].id)
			stale, err := c.gc["d"].Snapshot()
			require.NoError(t, err)
			deadEpoch := c.eng["d"].Epoch()
			c.kill("d")
			survivors := []string{"a", "b", "c"}
			for range 5 {
				c.inc(survivors[rng.IntN(3)], 1+rng.Uint64N(5))
				c.round()
			}
			held := c.heldOf(dead, survivors...)
			c.declareDead("d", survivors...)
			want := c.gcTotal(map[string]uint64{dead: held})

			sawMarker := map[string]bool{}
			c.until("pruned, replicated and forgotten", 2000, func() bool {
				done := true
				for _, id := range survivors {
					g := c.gc[id]
					if g.markers() > 0 {
						sawMarker[id] = true
					}
					done = done && g.value() == want && !g.mentions(dead) && g.markers() == 0 &&
						len(c.eng[id].Departed()) == 0 && c.eng[id].Stats().Buffered == 0
				}
				return done
			})
			var pruners []string
			for _, id := range survivors {
				require.True(t, sawMarker[id], "%s never held the pruning marker", id)
				if len(c.gc[id].prunedList()) > 0 {
					pruners = append(pruners, id)
					require.Equal(t, []string{dead}, c.gc[id].prunedList())
				}
			}
			require.Equal(t, []string{"a"}, pruners, "exactly the lowest live replica prunes")
			require.Equal(t, uint64(1), c.eng["a"].Stats().ForgottenReplicas)

			// The dead incarnation's full state, delivered late, is refused.
			late := &replicawire.Envelope{From: "d", Epoch: deadEpoch, Replica: dead, To: "b",
				State: &replicawire.State{Seq: 1, Data: stale}}
			require.NoError(t, c.eng["b"].Handle(late))
			require.Equal(t, want, c.gc["b"].value(), "a stale state of the pruned replica was merged")
			require.False(t, c.gc["b"].mentions(dead))
		})
	}
}

// TestMarkerStopsStaleStateBeforeForget: while the marker is held (every
// peer acknowledged it, and MarkerTTLTicks have not passed), a stale full
// state that still carries the pruned replica's entry (a survivor's state
// sent before the pruning and delivered late, or a node restored from an
// old disk) is merged without counting that entry again. After the TTL the
// markers are forgotten everywhere.
func TestMarkerStopsStaleStateBeforeForget(t *testing.T) {
	c := newGCluster(t, 3, Faults{}, 3, func(cfg *Config) {
		cfg.AntiEntropyTicks = 2
		cfg.MarkerTTLTicks = 40
	})
	c.inc("a", 2)
	c.inc("c", 5)
	c.until("replicated", 50, func() bool { return c.gc["a"].value() == 7 && c.gc["b"].value() == 7 })
	staleOfB, err := c.gc["b"].Snapshot()
	require.NoError(t, err)
	c.kill("c")
	c.declareDead("c", "a", "b")
	c.until("pruned", 100, func() bool { return c.gc["a"].markers() == 1 && c.gc["b"].markers() == 1 })
	require.Equal(t, uint64(7), c.gc["a"].value())
	for range 20 {
		c.round()
	}
	require.Equal(t, 1, c.gc["a"].markers(), "marker forgotten before its TTL")
	require.Equal(t, 1, c.gc["b"].markers(), "marker forgotten before its TTL")
	require.NoError(t, c.gc["a"].MergeState(staleOfB))
	require.Equal(t, uint64(7), c.gc["a"].value(), "the pruned replica's entry was counted again")
	c.until("markers forgotten after the TTL", 100, func() bool { return c.gc["a"].markers()+c.gc["b"].markers() == 0 })
	require.Equal(t, uint64(7), c.gc["b"].value())
}

// TestSurvivorsPruneOnceWhenTheyDecideTogether: every survivor gives up on
// the dead node in the same round; only the designated pruner prunes. Then
// the pruner dies with its pruning delivered to one survivor only; the next
// pruner prunes the first pruner's replica id but not the already pruned
// one again, so nothing is counted twice.
func TestSurvivorsPruneOnceWhenTheyDecideTogether(t *testing.T) {
	for _, seed := range seeds(t, 4) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (replay with REPLICA_SEED=%d)", seed, seed)
			rng := rand.New(rand.NewPCG(seed, 3))
			c := newGCluster(t, seed, lossy(rng), 5, func(cfg *Config) { cfg.AntiEntropyTicks = 4 })
			for range 20 {
				c.inc(c.ids[rng.IntN(5)], 1+rng.Uint64N(5))
				c.round()
			}
			c.net.faults = Faults{} // from here on, delivery is steered by hand
			c.settleGC(300)
			e := string(c.gc["e"].id)
			c.kill("e")
			c.declareDead("e", "a", "b", "c", "d")
			a := c.gc["a"]
			c.until("a prunes", 200, func() bool { return len(a.prunedList()) > 0 })
			require.Equal(t, []string{e}, a.prunedList())
			// a's next tick sends the pruning; only c receives it, then a dies.
			c.eng["a"].Tick()
			c.deliverOnly(func(to, from string) bool { return to == "c" && from == "a" })
			want := c.gcTotal(nil)
			c.kill("a")
			c.declareDead("a", "b", "c", "d")
			defer func() {
				if t.Failed() {
					for _, id := range []string{"b", "c", "d"} {
						t.Logf("%s: value %d want %d json %s", id, c.gc[id].value(), want, c.gc[id].c.AppendJSON(nil))
					}
				}
			}()
			c.until("b prunes a", 400, func() bool {
				for _, id := range []string{"b", "c", "d"} {
					if c.gc[id].value() != want || c.gc[id].mentions(string(a.id)) || c.gc[id].mentions(e) {
						return false
					}
				}
				return true
			})
			// b took over: a's replica id, and e's pruning, a no-op on a state
			// that holds a's marker (the exact totals above show that nothing
			// was folded twice).
			require.ElementsMatch(t, []string{string(a.id), e}, c.gc["b"].prunedList())
			require.Empty(t, c.gc["c"].prunedList())
			require.Empty(t, c.gc["d"].prunedList())
		})
	}
}

// deliverOnly delivers the queued envelopes that keep accepts and drops
// the others.
func (c *cluster) deliverOnly(keep func(to, from string) bool) {
	c.t.Helper()
	for {
		to, env, ok := c.net.Next()
		if !ok {
			return
		}
		if keep(to, env.From) {
			require.NoError(c.t, c.eng[to].Handle(env))
		}
	}
}

// settleGC runs rounds until every G-Counter state is equal and complete.
func (c *cluster) settleGC(maxRounds int) {
	c.t.Helper()
	c.until("G-Counters converged", maxRounds, func() bool {
		for _, id := range c.ids {
			if c.gc[id].value() != c.gcTotal(nil) || c.eng[id].Stats().Buffered != 0 {
				return false
			}
		}
		return true
	})
}

// TestPartitionMinorityNeverPrunesAndIsFenced: a partition cuts the lowest
// replica off for longer than the prune delay, and both sides give up on
// each other. The majority side prunes the minority's replica id; the
// minority, although it would be the designated pruner, prunes nothing.
// When the partition heals, the minority learns that it was pruned and is
// fenced (it must rejoin under a new epoch): the majority's data is
// intact and counted once. What the minority wrote while cut off is lost;
// that is the price of declaring a live node dead, and why the prune delay
// must exceed any partition the cluster should ride out (see
// TestFalseDeathHealedBeforePruneLosesNothing).
func TestPartitionMinorityNeverPrunesAndIsFenced(t *testing.T) {
	for _, seed := range seeds(t, 4) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (replay with REPLICA_SEED=%d)", seed, seed)
			rng := rand.New(rand.NewPCG(seed, 4))
			fenced := 0
			c := newGCluster(t, seed, lossy(rng), 3, func(cfg *Config) {
				cfg.AntiEntropyTicks = 4
				if cfg.ID == "a" {
					cfg.OnFenced = func() { fenced++ }
				}
			})
			for range 20 {
				c.inc(c.ids[rng.IntN(3)], 1+rng.Uint64N(5))
				c.round()
			}
			c.settleGC(400)
			a := string(c.gc["a"].id)
			aBefore := c.want[a]
			c.net.Isolate("a", true)
			c.declareDead("a", "b", "c")
			c.declareDead("b", "a")
			c.declareDead("c", "a")
			for range 60 {
				c.inc(c.ids[rng.IntN(3)], 1+rng.Uint64N(5))
				c.round()
			}
			require.Empty(t, c.gc["a"].prunedList(), "the minority pruned")
			require.Equal(t, []string{a}, c.gc["b"].prunedList())
			c.net.Isolate("a", false)
			for _, s := range []string{"b", "c"} {
				c.eng[s].AddPeer("a") // membership sees it alive again
			}
			for _, s := range []string{"b", "c"} {
				c.eng["a"].AddPeer(s)
			}
			c.until("a fenced", 100, func() bool { return c.eng["a"].Fenced() })
			require.Equal(t, 1, fenced)
			require.ErrorIs(t, c.eng["a"].Sync(context.Background()), ErrFenced)
			c.ids = []string{"b", "c"}
			want := c.gcTotal(map[string]uint64{a: aBefore}) // a's writes while cut off are lost
			c.until("majority converged", 400, func() bool {
				for _, id := range c.ids {
					g := c.gc[id]
					if g.value() != want || g.mentions(a) || g.markers() != 0 {
						return false
					}
				}
				return true
			})
			require.Empty(t, c.gc["c"].prunedList())
		})
	}
}

// TestFalseDeathHealedBeforePruneLosesNothing: membership declares a node
// dead (a partition), both sides keep writing, and the partition heals
// before the prune delay: nothing is pruned and every write survives.
func TestFalseDeathHealedBeforePruneLosesNothing(t *testing.T) {
	for _, seed := range seeds(t, 4) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (replay with REPLICA_SEED=%d)", seed, seed)
			rng := rand.New(rand.NewPCG(seed, 5))
			c := newGCluster(t, seed, lossy(rng), 3, func(cfg *Config) { cfg.AntiEntropyTicks = 4 })
			for range 20 {
				c.inc(c.ids[rng.IntN(3)], 1+rng.Uint64N(5))
				c.round()
			}
			c.net.Isolate("c", true)
			c.eng["a"].SuspendPeer("c")
			c.eng["b"].SuspendPeer("c")
			c.eng["c"].SuspendPeer("a")
			c.eng["c"].SuspendPeer("b")
			for range 40 {
				c.inc(c.ids[rng.IntN(3)], 1+rng.Uint64N(5))
				c.round()
			}
			c.net.Isolate("c", false)
			for _, x := range c.ids {
				for _, y := range c.ids {
					c.eng[x].AddPeer(y)
				}
			}
			c.settleGC(600)
			for _, id := range c.ids {
				require.Empty(t, c.gc[id].prunedList())
				require.False(t, c.eng[id].Fenced())
				require.Zero(t, c.gc[id].markers())
			}
		})
	}
}

// TestSuspendedPeerBlocksPrune: the dead node's last update reached only a
// survivor that is itself cut off (suspended, not given up on). Pruning
// before it is back would erase that update everywhere, so the pruner
// waits, as Akka's pruning waits for unreachable members.
func TestSuspendedPeerBlocksPrune(t *testing.T) {
	c := newGCluster(t, 5, Faults{}, 5, func(cfg *Config) { cfg.AntiEntropyTicks = 3 })
	c.inc("e", 2)
	c.settleGC(50)
	c.inc("e", 5)
	c.eng["e"].Tick()
	c.deliverOnly(func(to, _ string) bool { return to == "c" }) // e's last delta reaches c only
	want := c.gcTotal(nil)
	e := string(c.gc["e"].id)
	c.kill("e")
	c.net.Isolate("c", true)
	for _, s := range []string{"a", "b", "d"} {
		c.eng[s].SuspendPeer("c")
	}
	c.declareDead("e", "a", "b", "d")
	for range 40 {
		c.round()
	}
	require.Empty(t, c.gc["a"].prunedList(), "pruned while a survivor holding the dead node's last update was cut off")
	c.net.Isolate("c", false)
	for _, s := range []string{"a", "b", "d"} {
		c.eng[s].AddPeer("c")
	}
	c.until("pruned with every update", 300, func() bool {
		for _, id := range c.ids {
			if c.gc[id].value() != want || c.gc[id].mentions(e) {
				return false
			}
		}
		return true
	})
	require.Equal(t, []string{e}, c.gc["a"].prunedList())
}

// TestPruneUnderSteadyWrites: the survivors keep writing in every round, so
// their digests hardly ever match; the pruner settles on their full
// states instead (pulled, sent while they refuse the dead incarnation),
// prunes while the writes go on, and loses or double-counts nothing.
func TestPruneUnderSteadyWrites(t *testing.T) {
	for _, seed := range seeds(t, 4) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("seed %d (replay with REPLICA_SEED=%d)", seed, seed)
			rng := rand.New(rand.NewPCG(seed, 6))
			c := newGCluster(t, seed, lossy(rng), 4, func(cfg *Config) { cfg.AntiEntropyTicks = 5 })
			for range 10 {
				c.inc(c.ids[rng.IntN(4)], 1)
				c.round()
			}
			c.settleGC(300)
			d := string(c.gc["d"].id)
			c.kill("d")
			survivors := []string{"a", "b", "c"}
			c.declareDead("d", survivors...)
			c.until("pruned while every survivor writes", 300, func() bool {
				for _, s := range survivors {
					c.inc(s, 1+rng.Uint64N(3))
				}
				return len(c.gc["a"].prunedList()) == 1
			})
			c.until("replicated", 500, func() bool {
				for _, s := range survivors {
					if c.gc[s].value() != c.gcTotal(nil) || c.gc[s].mentions(d) {
						return false
					}
				}
				return true
			})
		})
	}
}

// records returns how many departure records the engine keeps, and fails
// when one is kept although its pruning finished and it announces nothing
// any more (a record no peer can still need).
func (c *cluster) records(id string) int {
	c.t.Helper()
	e := c.eng[id]
	e.mu.Lock()
	defer e.mu.Unlock()
	for r, d := range e.departed {
		require.False(c.t, d.finished && d.announce(e.now, e.cfg.ForgetTicks) == 0,
			"%s keeps the record of %s, finished %d ticks ago", id, r, e.now-d.forgetAt)
	}
	return len(e.departed)
}

// TestDepartureRecordsBoundedUnderChurn: node c comes and goes forty times,
// restarting under a new epoch and replica id or leaving gracefully first,
// and writes in every incarnation; then it dies for good. Every departed
// incarnation is pruned and its marker forgotten, and the survivors keep a
// departure record only while its pruning is under way or still announced:
// the records do not grow with the number of incarnations, and once the
// churn stops none is left. Late deltas and states of forgotten
// incarnations are still refused (the dead node is told it was pruned),
// nothing is counted twice, and a late announcement of a forgotten replica
// id brings no record back. The churn runs on a lossy network.
func TestDepartureRecordsBoundedUnderChurn(t *testing.T) {
	for _, seed := range seeds(t, 3) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { departureChurn(t, seed) })
	}
}

func departureChurn(t *testing.T, seed uint64) {
	t.Logf("seed %d (replay with REPLICA_SEED=%d)", seed, seed)
	c := newGCluster(t, seed, lossy(rand.New(rand.NewPCG(seed, 7))), 3, func(cfg *Config) { cfg.AntiEntropyTicks = 2 })
	survivors := []string{"a", "b"}
	type late struct {
		epoch   uint64
		replica string
		state   []byte
	}
	var zombies []late
	lastOf := func() late {
		st, err := c.gc["c"].Snapshot()
		require.NoError(t, err)
		return late{c.eng["c"].Epoch(), string(c.gc["c"].id), st}
	}
	forgotten := func(old string) {
		c.until("the old incarnation pruned and forgotten", 200, func() bool {
			for _, id := range c.ids {
				if c.gc[id].mentions(old) || c.gc[id].markers() != 0 || len(c.eng[id].Departed()) != 0 {
					return false
				}
			}
			return true
		})
	}
	most := 0
	const incarnations = 40
	for i := range incarnations {
		c.inc("c", 1+uint64(i%3))
		c.inc(survivors[i%2], 1)
		c.settleGC(100)
		old := lastOf()
		if i == 0 {
			zombies = append(zombies, old)
		}
		if i%2 == 1 { // a graceful leave before the restart
			for _, s := range survivors {
				require.NoError(t, c.eng[s].RemovePeer("c"))
			}
		}
		c.start("c")
		for _, id := range c.ids {
			c.eng["c"].AddPeer(id)
			c.eng[id].AddPeer("c")
		}
		forgotten(old.replica)
		for _, s := range survivors {
			most = max(most, c.records(s))
		}
	}
	c.inc("c", 3)
	c.settleGC(100)
	zombies = append(zombies, lastOf())
	c.kill("c")
	c.declareDead("c", survivors...)
	forgotten(zombies[1].replica)
	t.Logf("at most %d departure records held during %d incarnations", most, incarnations)
	require.Less(t, most, incarnations/4, "departure records grow with the incarnations")
	c.until("every departure record dropped", 500, func() bool {
		return c.records("a")+c.records("b") == 0
	})
	want := c.gcTotal(nil)

	// Node c, cut off all along, sends the stream and full state of its
	// first and last incarnations at last: refused, and told that its
	// last replica id was pruned.
	c.net.Isolate("c", false)
	c.net.faults = Faults{} // the replies are checked one by one
	for _, s := range survivors {
		for _, z := range zombies {
			env := &replicawire.Envelope{From: "c", Epoch: z.epoch, Replica: z.replica, To: s,
				Deltas: &replicawire.Deltas{Items: []replicawire.Delta{{Seq: 1, Data: z.state}}},
				State:  &replicawire.State{Seq: 1, Data: z.state}}
			require.NoError(t, c.eng[s].Handle(env))
			require.Equal(t, want, c.gc[s].value(), "a late message of a forgotten incarnation was merged")
			require.False(t, c.gc[s].mentions(z.replica))
		}
		to, env, ok := c.net.Next()
		require.True(t, ok, "%s told the dead node nothing", s)
		require.Equal(t, "c", to)
		require.Equal(t, []string{zombies[1].replica}, env.Pruned)
		_, _, ok = c.net.Next()
		require.False(t, ok)
	}
	// A late announcement of a forgotten id (a peer's last forget window)
	// drops a marker that came back, and starts nothing again.
	require.NoError(t, c.eng["a"].Handle(&replicawire.Envelope{From: "b", Epoch: c.eng["b"].Epoch(), Replica: string(c.gc["b"].id),
		To: "a", ToEpoch: c.eng["a"].Epoch(), Pruned: []string{zombies[1].replica}, Forget: []string{zombies[1].replica}}))
	require.Zero(t, c.records("a"))
	c.settleGC(100)
	require.Equal(t, want, c.gc["a"].value())
}
