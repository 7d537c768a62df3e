package raft

// Regression tests for correctness bugs filed against peer Raft libraries
// (hashicorp/raft, etcd-io/raft and etcd's use of it). Each test names the
// upstream report and drives this package into the same situation.

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TestPreVoteRefusedWhileLeaderHeard: a server that cannot hear the leader
// (it was partitioned, or only the leader's link to it is down) asks for
// pre-votes with an up-to-date log. Every server that hears from the leader,
// and the leader itself, must refuse (Raft thesis 9.6): granted, the real
// election that follows deposes a healthy leader. Pre-vote used to honour
// this only with CheckQuorum, so PreVote alone did not protect the leader
// (braft#366: the old leader grants a rebooted node's pre-vote; etcd-io/etcd#9333;
// hashicorp/raft refuses pre-votes while it has a leader).
func TestPreVoteRefusedWhileLeaderHeard(t *testing.T) {
	c := newCluster(t, 3, 41, func(cfg *Config) {
		patientElections(cfg)
		cfg.CheckQuorum = false
	})
	l := c.leader(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := c.propose(ctx, putCmd("k", "v"))
	require.NoError(t, err)
	c.waitApplied(5*time.Second, r.Index)

	x, err := c.net.Transport("x")
	require.NoError(t, err)
	defer x.Close()
	term := l.Term()
	for _, id := range c.ids {
		require.NoError(t, x.Send(id, &raftwire.Message{From: "x", To: id, FromAddr: "x",
			RequestVote: &raftwire.RequestVote{Term: term + 1, CandidateID: "x", PreVote: true,
				LastLogIndex: r.Index + 100, LastLogTerm: term}}))
	}
	for got := 0; got < len(c.ids); {
		select {
		case m := <-x.Inbound():
			if v := m.RequestVoteResponse; v != nil {
				require.False(t, v.VoteGranted, "%s granted a pre-vote while it hears from leader %s", v.VoterID, l.ID())
				got++
			}
		case <-ctx.Done():
			t.Fatal("no answer to the pre-votes")
		}
	}
	require.Equal(t, Leader, l.Role())
	require.Equal(t, term, l.Term())
}

// failingStable is a StableStore whose saves fail once armed.
type failingStable struct {
	StableStore
	failing atomic.Bool
}

var errStableFailed = errors.New("stable store failed")

func (s *failingStable) SaveHardState(hs raftwire.HardState) error {
	if s.failing.Load() {
		return errStableFailed
	}
	return s.StableStore.SaveHardState(hs)
}

// TestNothingSentAfterHardStateSaveFails: a vote must be durable before it
// is granted, and a candidate's new term and self-vote before it asks for
// votes; otherwise a restart forgets the vote and the server votes again in
// the same term, electing two leaders (the "persist before replying" rule of
// Figure 2; hashicorp/raft's requestVote returns without granting when
// persistVote fails). When SaveHardState failed the node stopped, but only
// after it had sent the grant or the vote requests.
func TestNothingSentAfterHardStateSaveFails(t *testing.T) {
	conf, err := encodeConfiguration(raftwire.Configuration{Servers: []raftwire.Server{
		{ID: "f", Address: "f", Suffrage: raftwire.Voter}, {ID: "l", Address: "l", Suffrage: raftwire.Voter}}})
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		trigger *raftwire.Message
	}{
		{"grant a vote", &raftwire.Message{RequestVote: &raftwire.RequestVote{Term: 5, CandidateID: "l", LastLogIndex: 1, LastLogTerm: 2}}},
		{"campaign after TimeoutNow", &raftwire.Message{TimeoutNow: &raftwire.TimeoutNow{Term: 2, LeaderID: "l"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stable := &failingStable{StableStore: NewMemStableStore()}
			p := newFakePeerOver(t, stable)
			n, lt := p.n, p.lt
			p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l",
				Entries: []raftwire.Entry{{Index: 1, Term: 2, Type: raftwire.EntryConfig, Data: conf}}}})
			require.True(t, p.heartbeat(2).Success) // f is a voter at term 2 now

			stable.failing.Store(true)
			p.send(tc.trigger)
			waitFor(t, 5*time.Second, "the node to stop on the storage failure", func() bool { return n.Role() == Shutdown })
			require.ErrorIs(t, n.err(), ErrStorage)
			require.ErrorContains(t, n.err(), errStableFailed.Error())
			// The memory network delivers at once: whatever the node sent
			// is queued by now.
			for {
				select {
				case m := <-lt.Inbound():
					if v := m.RequestVoteResponse; v != nil {
						require.False(t, v.VoteGranted, "vote granted though it could not be saved")
					}
					require.Nil(t, m.RequestVote, "vote requested for a term that could not be saved")
					continue
				default:
				}
				return
			}
		})
	}
}
