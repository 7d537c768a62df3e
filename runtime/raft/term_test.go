package raft

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// fakePeer is a follower "f" on the in-memory network and a peer "l" whose
// messages the test writes by hand.
type fakePeer struct {
	t    *testing.T
	n    *Node
	lt   *MemTransport
	nw   *Network
	cfg  Config
	deps Deps
}

func newFakePeer(t *testing.T) *fakePeer { return newFakePeerWith(t, nil) }

// newFakePeerWith is newFakePeer with tweak applied to the follower's
// config and parts (nil: none).
func newFakePeerWith(t *testing.T, tweak func(*Config, *Deps)) *fakePeer {
	t.Helper()
	nw := NewNetwork(1)
	t.Cleanup(nw.Close)
	tr, err := nw.Transport("f")
	require.NoError(t, err)
	lt, err := nw.Transport("l")
	require.NoError(t, err)
	t.Cleanup(func() { lt.Close() })
	cfg := testConfig("f")
	patientElections(&cfg)
	cfg.CheckQuorum = false // else a follower ignores vote requests while it hears from l
	deps := Deps{FSM: newKV(), Logs: NewMemLogStore(), Stable: NewMemStableStore(), Snapshots: NewMemSnapshotStore(), Transport: tr}
	if tweak != nil {
		tweak(&cfg, &deps)
	}
	n, err := NewNode(cfg, deps)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return &fakePeer{t: t, n: n, lt: lt, nw: nw, cfg: cfg, deps: deps}
}

// restart closes the follower and starts it again from its stores, with
// a fresh FSM.
func (p *fakePeer) restart() {
	p.t.Helper()
	p.n.Close()
	tr, err := p.nw.Transport("f")
	require.NoError(p.t, err)
	d := p.deps
	d.FSM, d.Transport = newKV(), tr
	n, err := NewNode(p.cfg, d)
	require.NoError(p.t, err)
	p.t.Cleanup(func() { n.Close() })
	p.n = n
}

// send delivers m to the node as if l had sent it.
func (p *fakePeer) send(m *raftwire.Message) {
	p.t.Helper()
	m.From, m.To, m.FromAddr = "l", "f", "l"
	require.NoError(p.t, p.lt.Send("f", m))
}

// heartbeat sends a heartbeat of term and returns the node's answer, which
// it sends only after handling everything l sent before.
func (p *fakePeer) heartbeat(term uint64) *raftwire.AppendEntriesResponse {
	p.t.Helper()
	p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: term, LeaderID: "l", Heartbeat: true}})
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-p.lt.Inbound():
			if r := m.AppendEntriesResponse; r != nil && r.Heartbeat {
				return r
			}
			if r := m.RequestVoteResponse; r != nil {
				require.False(p.t, r.VoteGranted, "vote granted: %+v", r)
			}
		case <-deadline:
			p.t.Fatalf("no answer to a heartbeat; node error: %v", p.n.err())
		}
	}
}

// TestMalformedTermsDropped sends a follower at term 3 messages carrying
// the term 2^64-1, or a log term above the message's own term, as a
// corrupt or buggy peer might. Each used to be adopted: the follower's
// next election then took its term past 2^64-1 back to 0, and a candidate
// claiming a last log term of 2^64-1 won every vote. Each must be dropped
// and counted; the heartbeat after it still finds the follower at term 3.
func TestMalformedTermsDropped(t *testing.T) {
	const huge = math.MaxUint64
	for _, tc := range []struct {
		name string
		m    raftwire.Message
	}{
		{"RequestVote", raftwire.Message{RequestVote: &raftwire.RequestVote{Term: huge, CandidateID: "l"}}},
		{"pre-vote", raftwire.Message{RequestVote: &raftwire.RequestVote{Term: huge, CandidateID: "l", PreVote: true}}},
		{"RequestVote last log term above its term", raftwire.Message{RequestVote: &raftwire.RequestVote{
			Term: 4, CandidateID: "l", LastLogIndex: 1, LastLogTerm: huge}}},
		{"RequestVoteResponse", raftwire.Message{RequestVoteResponse: &raftwire.RequestVoteResponse{Term: huge, VoterID: "l"}}},
		{"heartbeat", raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: huge, LeaderID: "l", Heartbeat: true}}},
		{"AppendEntries", raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: huge, LeaderID: "l",
			Entries: []raftwire.Entry{{Index: 1, Term: huge, Data: []byte("x")}}}}},
		{"AppendEntriesResponse", raftwire.Message{AppendEntriesResponse: &raftwire.AppendEntriesResponse{Term: huge, FollowerID: "l"}}},
		{"AppendEntriesResponse conflict term above its term", raftwire.Message{AppendEntriesResponse: &raftwire.AppendEntriesResponse{
			Term: 4, FollowerID: "l", ConflictTerm: 5, ConflictIndex: 1}}},
		{"InstallSnapshot", raftwire.Message{InstallSnapshot: &raftwire.InstallSnapshot{Term: huge, LeaderID: "l",
			LastIncludedIndex: 10, LastIncludedTerm: 1, Data: []byte("x"), Done: true}}},
		{"InstallSnapshot last included term above its term", raftwire.Message{InstallSnapshot: &raftwire.InstallSnapshot{
			Term: 4, LeaderID: "l", LastIncludedIndex: 10, LastIncludedTerm: huge, Data: []byte("x"), Done: true}}},
		{"InstallSnapshotResponse", raftwire.Message{InstallSnapshotResponse: &raftwire.InstallSnapshotResponse{Term: huge, FollowerID: "l"}}},
		{"TimeoutNow", raftwire.Message{TimeoutNow: &raftwire.TimeoutNow{Term: huge, LeaderID: "l"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newFakePeer(t)
			require.True(t, p.heartbeat(3).Success)
			bad := tc.m
			p.send(&bad)
			r := p.heartbeat(3)
			require.True(t, r.Success, "the follower still follows l at term 3")
			require.Equal(t, uint64(3), r.Term)
			require.Equal(t, uint64(3), p.n.Term())
			require.Equal(t, uint64(1), p.n.Metrics().MalformedMessages)
			require.NoError(t, p.n.err())
		})
	}
}

// TestTermNeverWraps brings a voter to the last usable term, 2^64-2, and
// has its leader hand leadership over. Campaigning needs a term of
// 2^64-1, and the election after that one wrapped to 0: the server must
// refuse to campaign and stay a follower at its term.
func TestTermNeverWraps(t *testing.T) {
	p := newFakePeer(t)
	last := uint64(math.MaxUint64 - 1)
	conf, err := encodeConfiguration(raftwire.Configuration{Servers: []raftwire.Server{
		{ID: "f", Address: "f", Suffrage: raftwire.Voter}, {ID: "l", Address: "l", Suffrage: raftwire.Voter}}})
	require.NoError(t, err)
	p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: last, LeaderID: "l",
		Entries: []raftwire.Entry{{Index: 1, Term: 1, Type: raftwire.EntryConfig, Data: conf}}}})
	require.True(t, p.heartbeat(last).Success) // handled after the entry: f is a voter now
	p.send(&raftwire.Message{TimeoutNow: &raftwire.TimeoutNow{Term: last, LeaderID: "l"}})
	r := p.heartbeat(last)
	require.True(t, r.Success, "the follower still follows l at term 2^64-2")
	require.Equal(t, last, p.n.Term())
	require.Equal(t, Follower, p.n.Status().Role)
}

// A stored term of 2^64-1 (corrupt, or adopted by an older version) is
// refused when the node starts rather than wrapped by its next election.
func TestNewNodeRefusesExhaustedTerm(t *testing.T) {
	nw := NewNetwork(1)
	defer nw.Close()
	tr, err := nw.Transport("f")
	require.NoError(t, err)
	defer tr.Close()
	stable := NewMemStableStore()
	require.NoError(t, stable.SaveHardState(raftwire.HardState{Term: math.MaxUint64}))
	_, err = NewNode(testConfig("f"), Deps{FSM: newKV(), Logs: NewMemLogStore(), Stable: stable,
		Snapshots: NewMemSnapshotStore(), Transport: tr})
	require.ErrorIs(t, err, ErrStorage)
	require.ErrorContains(t, err, "hard state term 18446744073709551615")
}
