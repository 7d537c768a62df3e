package raft

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/stretchr/testify/require"
)

// dropFirst makes the network lose the first message from leader to
// follower that match accepts, once, and reports whether it did.
func dropFirst(nw *Network, leader, follower string, match func(*raftwire.Message) bool) *atomic.Bool {
	var dropped atomic.Bool
	f := func(from, to string, m *raftwire.Message) bool {
		return from == leader && to == follower && match(m) && dropped.CompareAndSwap(false, true)
	}
	nw.drop.Store(&f)
	return &dropped
}

// TestReplicationRecoversFromLostMessage is the regression test for the
// liveness failure of TestRandomFaultsInvariants (e.g. seeds
// 1795889609686866119 and ...121 under SOAK=1): an append or snapshot chunk
// to a follower is lost while the follower keeps answering heartbeats. The
// heartbeat answers used to count as replication progress, so the
// retransmit timer never fired and the follower stayed behind for good.
func TestReplicationRecoversFromLostMessage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		snapshot bool
	}{
		{name: "append"},
		{name: "snapshot-chunk", snapshot: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 3, 11, func(cfg *Config) {
				patientElections(cfg)
				cfg.SnapshotThreshold = 16
				cfg.TrailingLogs = 4
				cfg.SnapshotChunkSize = 64
			})
			t.Cleanup(func() {
				if t.Failed() {
					c.dump()
				}
			})
			l := c.leader(10 * time.Second)
			var f string
			for _, id := range c.ids {
				if id != l.ID() {
					f = id
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var dropped *atomic.Bool
			if tc.snapshot {
				// Leave the follower behind the leader's compacted log.
				fLast := c.node(f).Status().LastIndex
				c.crash(f)
				// Write until the leader compacted what the follower lacks
				// (it keeps the log for a follower heard from recently).
				for i := 0; l.Status().FirstIndex <= fLast+1; i++ {
					_, err := l.Propose(ctx, putCmd("k", fmt.Sprint(i)))
					require.NoError(t, err)
				}
				dropped = dropFirst(c.net, l.ID(), f, func(m *raftwire.Message) bool { return m.InstallSnapshot != nil })
				c.start(f)
			} else {
				c.waitApplied(10*time.Second, l.AppliedIndex())
				dropped = dropFirst(c.net, l.ID(), f, func(m *raftwire.Message) bool {
					return m.AppendEntries != nil && len(m.AppendEntries.Entries) > 0
				})
			}
			r, err := l.Propose(ctx, putCmd("final", "x"))
			require.NoError(t, err)
			c.waitApplied(10*time.Second, r.Index)
			require.True(t, dropped.Load(), "the test lost no message")
			require.Equal(t, "x", c.fsms[f].get("final"))
		})
	}
}

// TestProposalOfDeposedLeaderResolves checks that proposals a leader
// accepted just before losing leadership are resolved even when no later
// leader writes as far as their index: they used to wait for that index
// until the caller's context expired (the other half of the liveness
// failures of TestRandomFaultsInvariants under SOAK=1).
func TestProposalOfDeposedLeaderResolves(t *testing.T) {
	c := newCluster(t, 3, 12, patientElections)
	l := c.leader(10 * time.Second)
	c.net.Isolate(l.ID())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var futures []*Future
	for i := range 3 {
		fut, err := l.ProposeAsync(ctx, putCmd("lost", fmt.Sprint(i)))
		require.NoError(t, err)
		futures = append(futures, fut)
	}
	waitFor(t, 15*time.Second, "another leader", func() bool {
		for _, n := range c.running() {
			if n != l && n.Role() == Leader {
				return true
			}
		}
		return false
	})
	c.net.Heal()
	for _, fut := range futures {
		_, err := fut.Wait(ctx)
		require.Error(t, err)
		require.NoError(t, ctx.Err(), "proposal of a deposed leader still pending")
		require.True(t, errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrLeadershipLost), "%v", err)
	}
}
