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
// pre-votes with an up-to-date log. With the default PreVote and
// CheckQuorum, every server that hears from the leader, and the leader
// itself, must refuse (Raft thesis 9.6): granted, the real election that
// follows deposes a healthy leader (braft#366: the old leader granted a
// rebooted node's pre-vote; etcd-io/etcd#9333). Without CheckQuorum there
// is no such lease, see TestOneWayPartitionWithoutCheckQuorumElects.
func TestPreVoteRefusedWhileLeaderHeard(t *testing.T) {
	c := newCluster(t, 3, 41, patientElections)
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
			p := newFakePeerWith(t, func(_ *Config, d *Deps) { d.Stable = stable })
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

// TestStaleAppendKeepsLog: a duplicated or reordered AppendEntries of the
// current leader arrives after a later one. Its entries are already held:
// the follower must neither cut the entries after them nor report a shorter
// log (hashicorp/raft#113 truncated the overlap and re-appended it; Figure 2
// rule 3 deletes only from a real conflict).
func TestStaleAppendKeepsLog(t *testing.T) {
	p := newFakePeer(t)
	ent := func(i uint64) raftwire.Entry { return raftwire.Entry{Index: i, Term: 2, Data: []byte{byte('a' + i)}} }
	p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l",
		Entries: []raftwire.Entry{ent(1), ent(2), ent(3)}, LeaderCommit: 3}})
	p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l",
		Entries: []raftwire.Entry{ent(1)}, LeaderCommit: 1}})
	p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l",
		PrevLogIndex: 1, PrevLogTerm: 2, Entries: []raftwire.Entry{ent(2)}}})
	r := p.heartbeat(2)
	require.Equal(t, uint64(3), r.LastLogIndex, "entries after the stale append's were cut")
	require.Equal(t, uint64(3), p.n.CommitIndex(), "the commit index went back")
	last, err := p.n.log.store.LastIndex()
	require.NoError(t, err)
	require.Equal(t, uint64(3), last)
}

// TestVoteSurvivesRestart: a server that voted in a term and restarts must
// not vote for another candidate in that term (the vote is saved before it
// is granted; Figure 2's votedFor is persistent state), and may repeat its
// vote to the same candidate, whose request may have been retried.
func TestVoteSurvivesRestart(t *testing.T) {
	p := newFakePeer(t)
	vote := func(candidate string) bool {
		p.send(&raftwire.Message{RequestVote: &raftwire.RequestVote{Term: 5, CandidateID: candidate}})
		for m := range p.lt.Inbound() {
			if v := m.RequestVoteResponse; v != nil {
				return v.VoteGranted
			}
		}
		p.t.Fatal("transport closed")
		return false
	}
	require.True(t, vote("a"))
	p.restart()
	require.Equal(t, uint64(5), p.n.Term())
	require.False(t, vote("b"), "voted twice in term 5")
	require.True(t, vote("a"))
}

// TestSnapshotStreamAfterFollowerRestart: a follower restarts in the middle
// of receiving a snapshot and has lost the partial one. The leader's next
// chunk must be refused so the leader starts over from offset 0, rather
// than be spliced onto nothing or refused for ever (logcabin#174,
// dgraph-io/dgraph#2707 on etcd raft: the follower never got a snapshot
// again).
func TestSnapshotStreamAfterFollowerRestart(t *testing.T) {
	p := newFakePeer(t)
	conf := raftwire.Configuration{Servers: []raftwire.Server{{ID: "l", Address: "l", Suffrage: raftwire.Voter}}}
	kv := newKV()
	kv.data["k"] = "v"
	snap, err := kv.Snapshot()
	require.NoError(t, err)
	data := snap.(*kvSnap).data
	chunk := func(off int, done bool) *raftwire.InstallSnapshotResponse {
		end := len(data)
		if !done {
			end = len(data) / 2
		}
		p.send(&raftwire.Message{InstallSnapshot: &raftwire.InstallSnapshot{Term: 2, LeaderID: "l",
			LastIncludedIndex: 10, LastIncludedTerm: 2, Configuration: conf, ConfigIndex: 1,
			Offset: uint64(off), Data: data[off:end], Done: done, TotalSize: uint64(len(data))}})
		for m := range p.lt.Inbound() {
			if r := m.InstallSnapshotResponse; r != nil {
				return r
			}
		}
		p.t.Fatal("transport closed")
		return nil
	}
	require.True(t, chunk(0, false).Success)
	p.restart()
	require.False(t, chunk(len(data)/2, true).Success, "a chunk after a lost prefix was accepted")
	require.True(t, chunk(0, false).Success)
	require.True(t, chunk(len(data)/2, true).Success)
	waitFor(t, 5*time.Second, "the snapshot to be applied", func() bool { return p.n.AppliedIndex() == 10 })
	require.Equal(t, "v", p.n.fsm.(*kvFSM).get("k"))
	require.Equal(t, conf, p.n.Status().Configuration, "the snapshot's configuration")
}

// TestCheckQuorumLeaderStepsDown: a leader cut off from every follower must
// stop being leader by itself (etcd-io/etcd#4779: the etcd v3 leader kept
// leading, and serving leases, after losing quorum; hashicorp/raft's leader
// lease). No proposal is needed to notice.
func TestCheckQuorumLeaderStepsDown(t *testing.T) {
	c := newCluster(t, 3, 43, nil)
	l := c.leader(10 * time.Second)
	c.net.Isolate(l.ID())
	waitFor(t, 10*time.Second, "the cut-off leader to step down", func() bool { return l.Role() != Leader })
	id, _ := l.Leader()
	require.Empty(t, id, "the deposed leader still names a leader")
}

// TestOneConfigChangeAtATime: while a configuration change is appended but
// not committed, a second one must be refused: two single-server changes in
// flight may form disjoint majorities (Raft thesis 4.1; etcd raft allows one
// pending conf change and hashicorp/raft checks the latest index is
// committed). The leader here is cut off, so the first cannot commit.
func TestOneConfigChangeAtATime(t *testing.T) {
	c := newCluster(t, 3, 45, func(cfg *Config) {
		patientElections(cfg)
		cfg.CheckQuorum = false
	})
	l := c.leader(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f := c.follower(l)
	c.net.Isolate(l.ID())
	first := make(chan error, 1)
	go func() { first <- l.AddLearner(ctx, "n9", "n9") }()
	waitFor(t, 5*time.Second, "the first change to be appended", func() bool {
		_, ok := findServer(l.Status().Configuration, "n9")
		return ok
	})
	require.ErrorIs(t, l.RemoveServer(ctx, f), ErrConfigChangePending)
	require.ErrorIs(t, l.AddVoter(ctx, "n8", "n8"), ErrConfigChangePending)
	c.net.Heal()
	select {
	case <-first: // committed, or overwritten by a leader elected meanwhile
	case <-ctx.Done():
		t.Fatal("the first change never resolved")
	}
}

// TestTransferToJustPromotedVoter: leadership is handed to a server whose
// promotion to voter is the last entry of the log. The target must act on
// TimeoutNow: a library that applies configuration changes only once
// applied drops it on a target that has not applied its promotion yet
// (cockroachdb/cockroach#133308 on etcd raft). Here the transfer waits
// until the target holds the whole log, and configurations take effect
// when appended.
func TestTransferToJustPromotedVoter(t *testing.T) {
	c := newCluster(t, 3, 47, patientElections)
	l := c.leader(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A new leader refuses configuration changes until it has committed an
	// entry of its term: wait for one, or RemoveServer can meet
	// ErrConfigChangePending.
	r, err := c.propose(ctx, putCmd("k", "v"))
	require.NoError(t, err)
	c.waitApplied(5*time.Second, r.Index)
	f := c.follower(l)
	require.NoError(t, l.RemoveServer(ctx, f))
	require.NoError(t, l.AddLearner(ctx, f, f))
	require.NoError(t, l.AddVoter(ctx, f, ""))
	require.NoError(t, l.TransferLeadership(ctx, f))
	require.Equal(t, c.node(f), c.leader(10*time.Second))
}

// TestReadIndexAfterRestartWaitsForCommit: a restarted single-server
// cluster knows its log but not its commit index. A ReadIndex served before
// the new leader commits an entry of its term returned the stale commit
// index, and the read missed acknowledged writes (etcd-io/etcd#7331,
// etcd-io/raft#105 for the singleton). Its log store blocks here, so the
// read must wait for that first commit and then see the write.
func TestReadIndexAfterRestartWaitsForCommit(t *testing.T) {
	var logs *blockingLogStore
	c := newClusterWith(t, 1, 49, func(cfg *Config) { cfg.LogStallTimeout = time.Hour },
		func(_ string, s *testStores) {
			logs = &blockingLogStore{LogStore: s.logs, release: make(chan struct{})}
			s.logs = logs
		})
	defer logs.unblock()
	c.leader(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := c.propose(ctx, putCmd("k", "v"))
	require.NoError(t, err)

	c.crash("n1")
	logs.blocked.Store(true)
	n := c.start("n1")
	waitFor(t, 10*time.Second, "the restarted server to lead", func() bool { return n.Role() == Leader })
	type result struct {
		index uint64
		err   error
		value string
	}
	res := make(chan result, 1)
	go func() {
		idx, err := n.ReadIndex(ctx)
		res <- result{idx, err, c.fsms["n1"].get("k")}
	}()
	waiting := func() bool {
		k := 0
		require.NoError(t, n.doCtrl(ctx, func() { k = len(n.readsWaiting) }))
		return k > 0
	}
	var got result
	answered := false
	waitFor(t, 10*time.Second, "the read to be answered or to wait", func() bool {
		select {
		case got = <-res:
			answered = true
			return true
		default:
			return waiting()
		}
	})
	logs.unblock()
	if !answered {
		got = <-res
	}
	require.NoError(t, got.err)
	require.Greater(t, got.index, w.Index)
	require.Equal(t, "v", got.value, "the read missed an acknowledged write")
}

// TestPrevLogTermZeroMatchesOnlyIndexZero: a follower's log must match
// PrevLogIndex by an entry it holds. etcd raft answered the term of an
// index outside its log with 0 (etcd-io/etcd#1850), so a PrevLogTerm of 0
// could match an entry it does not have; below its snapshot, the opposite
// mistake rejected or cut committed entries (neo4j/neo4j#6871). Here an
// append whose previous entry is past the follower's log is refused, and
// stale appends reaching below the follower's snapshot are accepted
// without touching what follows.
func TestPrevLogTermZeroMatchesOnlyIndexZero(t *testing.T) {
	p := newFakePeer(t)
	p.cfg.TrailingLogs = 0
	p.restart()
	ent := func(i uint64) raftwire.Entry { return raftwire.Entry{Index: i, Term: 2, Data: []byte{byte('a' + i)}} }
	appendAt := func(prev uint64, prevTerm uint64, ents ...raftwire.Entry) *raftwire.AppendEntriesResponse {
		p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l",
			PrevLogIndex: prev, PrevLogTerm: prevTerm, Entries: ents, LeaderCommit: prev + uint64(len(ents))}})
		for m := range p.lt.Inbound() {
			if r := m.AppendEntriesResponse; r != nil && !r.Heartbeat {
				return r
			}
		}
		p.t.Fatal("transport closed")
		return nil
	}
	require.False(t, appendAt(5, 0, ent(6)).Success, "matched an entry the follower does not hold")
	require.Zero(t, p.heartbeat(2).LastLogIndex)

	require.True(t, appendAt(0, 0, ent(1), ent(2), ent(3), ent(4), ent(5), ent(6)).Success)
	waitFor(t, 5*time.Second, "entries applied", func() bool { return p.n.AppliedIndex() == 6 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.n.CreateSnapshot(ctx, 4, nil)
	require.NoError(t, err)
	waitFor(t, 5*time.Second, "the log compacted", func() bool { return p.n.Status().FirstIndex == 5 })

	r := appendAt(1, 2, ent(2), ent(3)) // entirely below the snapshot
	require.True(t, r.Success)
	r = appendAt(2, 2, ent(3), ent(4), ent(5)) // straddles it
	require.True(t, r.Success)
	require.Equal(t, uint64(6), p.heartbeat(2).LastLogIndex, "entries after the stale appends were cut")
}

// TestUncommittedConfigurationRollsBackAfterCompaction: a follower holds an
// uncommitted configuration entry, compacts its log below it, and a new
// leader overwrites the entry. The follower must fall back to the last
// committed configuration, before and after a restart: dropping the
// committed one with the compacted prefix, or storing the uncommitted one in
// the snapshot, leaves nothing to roll back to (hashicorp/raft#617,
// canonical/raft#250).
func TestUncommittedConfigurationRollsBackAfterCompaction(t *testing.T) {
	p := newFakePeer(t)
	p.cfg.TrailingLogs = 0
	p.restart()
	c1 := raftwire.Configuration{Servers: []raftwire.Server{
		{ID: "f", Address: "f", Suffrage: raftwire.Voter}, {ID: "l", Address: "l", Suffrage: raftwire.Voter}}}
	c2 := cloneConfiguration(c1)
	c2.Servers = append(c2.Servers, raftwire.Server{ID: "x", Address: "x", Suffrage: raftwire.Voter})
	d1, err := encodeConfiguration(c1)
	require.NoError(t, err)
	d2, err := encodeConfiguration(c2)
	require.NoError(t, err)
	ent := func(i, term uint64) raftwire.Entry { return raftwire.Entry{Index: i, Term: term, Data: []byte("x")} }
	p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l", LeaderCommit: 3, Entries: []raftwire.Entry{
		{Index: 1, Term: 2, Type: raftwire.EntryConfig, Data: d1}, ent(2, 2), ent(3, 2),
		{Index: 4, Term: 2, Type: raftwire.EntryConfig, Data: d2}}}})
	require.Equal(t, uint64(4), p.heartbeat(2).LastLogIndex)
	require.Equal(t, c2, p.n.Status().Configuration, "a configuration rules once appended")
	waitFor(t, 5*time.Second, "entries applied", func() bool { return p.n.AppliedIndex() == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	meta, err := p.n.CreateSnapshot(ctx, 3, nil)
	require.NoError(t, err)
	require.Equal(t, c1, meta.Configuration, "the snapshot holds the committed configuration")
	waitFor(t, 5*time.Second, "the log compacted", func() bool { return p.n.Status().FirstIndex == 4 })

	// A leader of term 3 never had entry 4: it overwrites it.
	p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 3, LeaderID: "l",
		PrevLogIndex: 3, PrevLogTerm: 2, Entries: []raftwire.Entry{ent(4, 3)}}})
	require.Equal(t, uint64(4), p.heartbeat(3).LastLogIndex)
	require.Equal(t, c1, p.n.Status().Configuration, "the overwritten configuration still rules")
	p.restart()
	require.Equal(t, c1, p.n.Status().Configuration, "the overwritten configuration rules after a restart")
}

// gatedLog is a LogStore whose Append waits while a gate is set.
type gatedLog struct {
	LogStore
	gate atomic.Pointer[chan struct{}]
}

func (g *gatedLog) Append(e []raftwire.Entry) error {
	if ch := g.gate.Load(); ch != nil {
		<-*ch
	}
	return g.LogStore.Append(e)
}

func (g *gatedLog) close() {
	ch := make(chan struct{})
	g.gate.Store(&ch)
}

func (g *gatedLog) open() {
	if ch := g.gate.Swap(nil); ch != nil {
		close(*ch)
	}
}

// TestBlockedFollowerReadsQueuedHeartbeats: a follower's core is blocked
// past its election timeout (a slow fsync of an inline append, a pause)
// while the leader's heartbeats queue up. Woken, it must look at them before
// it concludes the leader is gone: it used to campaign on its stale clock
// whenever its timer was served first, which without pre-vote deposes a
// healthy leader (etcd-io/etcd#7617: disk latency caused elections;
// etcd-io/etcd#9333: the node's timer runs ahead of the leader's
// heartbeat). The race is Go's choice between two ready channels, so the
// scenario runs several times (each missed it half the time before).
func TestBlockedFollowerReadsQueuedHeartbeats(t *testing.T) {
	logs := &gatedLog{}
	p := newFakePeerWith(t, func(cfg *Config, d *Deps) {
		cfg.HeartbeatInterval = 10 * time.Millisecond
		cfg.ElectionTimeoutMin = 60 * time.Millisecond
		cfg.ElectionTimeoutMax = 120 * time.Millisecond
		logs.LogStore = d.Logs
		d.Logs = logs
	})
	defer logs.open()
	conf, err := encodeConfiguration(raftwire.Configuration{Servers: []raftwire.Server{
		{ID: "f", Address: "f", Suffrage: raftwire.Voter}, {ID: "l", Address: "l", Suffrage: raftwire.Voter}}})
	require.NoError(t, err)
	p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l",
		Entries: []raftwire.Entry{{Index: 1, Term: 2, Type: raftwire.EntryConfig, Data: conf}}}})
	require.True(t, p.heartbeat(2).Success) // f is a voter following l
	for i := uint64(2); i < 8; i++ {
		logs.close()
		p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l", PrevLogIndex: i - 1, PrevLogTerm: 2,
			Entries: []raftwire.Entry{{Index: i, Term: 2, Data: []byte("x")}}}})
		waitFor(t, 5*time.Second, "the follower's append to block", func() bool { return p.n.stallSince.Load() != 0 })
		waitFor(t, 5*time.Second, "the election timeout to pass", func() bool {
			return nanotime()-p.n.lastContact.Load() > int64(p.cfg.ElectionTimeoutMax)
		})
		p.send(&raftwire.Message{AppendEntries: &raftwire.AppendEntries{Term: 2, LeaderID: "l", Heartbeat: true}})
		logs.open()
		for answered := false; !answered; {
			select {
			case m := <-p.lt.Inbound():
				require.Nil(t, m.RequestVote, "round %d: campaigned with the leader's heartbeat queued", i)
				answered = m.AppendEntriesResponse != nil && m.AppendEntriesResponse.Heartbeat
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d: no answer to the heartbeat", i)
			}
		}
	}
	require.Zero(t, p.n.Metrics().Elections)
}

// TestOneWayPartitionWithoutCheckQuorumElects: without CheckQuorum a leader
// never steps down by itself. When its follower f1 still hears it but can
// no longer answer, and the other follower f2 is cut off from it, the
// leader commits nothing while f1 keeps hearing its heartbeats. f2 must
// still be able to win f1's pre-vote and vote and take over: the leader
// lease that would refuse them is part of CheckQuorum (as in etcd raft),
// because without leaders that step down it would leave this cluster
// without a working leader for good.
func TestOneWayPartitionWithoutCheckQuorumElects(t *testing.T) {
	c := newCluster(t, 3, 53, func(cfg *Config) { cfg.CheckQuorum = false })
	l := c.leader(10 * time.Second)
	f1 := c.follower(l)
	f2 := ""
	for _, id := range c.ids {
		if id != l.ID() && id != f1 {
			f2 = id
		}
	}
	drop := func(from, to string, _ *raftwire.Message) bool {
		return (from == f1 && to == l.ID()) || (from == f2 && to == l.ID()) || (from == l.ID() && to == f2)
	}
	c.net.drop.Store(&drop)
	waitFor(t, 20*time.Second, "a leader that can commit", func() bool {
		n := c.node(f2)
		return n.Role() == Leader && n.Term() > l.Term()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.node(f2).Propose(ctx, putCmd("k", "v"))
	require.NoError(t, err)
}
