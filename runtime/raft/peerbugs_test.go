package raft

// Regression tests for correctness bugs filed against peer Raft libraries
// (hashicorp/raft, etcd-io/raft and etcd's use of it). Each test names the
// upstream report and drives this package into the same situation.

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

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
