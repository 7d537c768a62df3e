package raft

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TestMalformedAppendEntriesRefused sends a follower AppendEntries whose
// entries cannot be a valid suffix of the leader's log. Each must be
// dropped without touching the log: appended, a gap made the store fail
// and stop the node, and a term out of order gave the follower a log no
// leader has (a last term above the current one wins it votes it must not
// get). A valid append afterwards is acknowledged.
func TestMalformedAppendEntriesRefused(t *testing.T) {
	ent := func(i, term uint64) raftwire.Entry { return raftwire.Entry{Index: i, Term: term, Data: []byte("x")} }
	for _, tc := range []struct {
		name string
		a    raftwire.AppendEntries
	}{
		{"gap between entries", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 1), ent(3, 1)}}},
		{"first entry not after prev", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(2, 1)}}},
		{"entries going back", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 1), ent(2, 1), ent(1, 1)}}},
		{"entry of a later term than the leader's", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 4)}}},
		{"terms decreasing", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 2), ent(2, 1)}}},
		{"previous entry of a later term than the leader's", raftwire.AppendEntries{Term: 3, PrevLogTerm: 4, Entries: []raftwire.Entry{ent(1, 4)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nw := NewNetwork(1)
			defer nw.Close()
			tr, err := nw.Transport("f")
			require.NoError(t, err)
			lt, err := nw.Transport("l")
			require.NoError(t, err)
			defer lt.Close()
			cfg := testConfig("f")
			n, err := NewNode(cfg, Deps{FSM: newKV(), Logs: NewMemLogStore(), Stable: NewMemStableStore(),
				Snapshots: NewMemSnapshotStore(), Transport: tr})
			require.NoError(t, err)
			defer n.Close()

			send := func(a *raftwire.AppendEntries) {
				a.LeaderID = "l"
				require.NoError(t, lt.Send("f", &raftwire.Message{From: "l", To: "f", FromAddr: "l", AppendEntries: a}))
			}
			// answer waits for the answer to a heartbeat or to entries.
			answer := func(heartbeat bool) *raftwire.AppendEntriesResponse {
				deadline := time.After(5 * time.Second)
				for {
					select {
					case m := <-lt.Inbound():
						if r := m.AppendEntriesResponse; r != nil && r.Heartbeat == heartbeat {
							return r
						}
					case <-deadline:
						t.Fatalf("no answer; node error: %v", n.err())
					}
				}
			}
			bad := tc.a
			send(&bad)
			// The heartbeat is handled after the malformed append: its
			// answer shows the log untouched.
			send(&raftwire.AppendEntries{Term: 3, Heartbeat: true})
			r := answer(true)
			require.NoError(t, n.err())
			require.Zero(t, r.LastLogIndex, "the malformed entries were not appended")

			send(&raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 1), ent(2, 3)}})
			r = answer(false)
			require.True(t, r.Success)
			require.Equal(t, uint64(2), r.LastLogIndex)
			require.NoError(t, n.err())
			last, err := n.log.store.LastIndex()
			require.NoError(t, err)
			require.Equal(t, uint64(2), last)
		})
	}
}

// bytesFSM remembers the last snapshot it was restored from.
type bytesFSM struct {
	mu       sync.Mutex
	restored []byte
}

func (f *bytesFSM) Apply(uint64, []byte) any { return nil }
func (f *bytesFSM) Snapshot() (FSMSnapshot, error) {
	return nil, errors.New("bytesFSM: no snapshots")
}
func (f *bytesFSM) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	f.mu.Lock()
	f.restored = b
	f.mu.Unlock()
	return err
}

// TestSnapshotInstallRestartsForNewLeader streams the first chunk of a
// snapshot from one leader, then the whole snapshot of the same index and
// term from the next leader, whose bytes differ (two servers need not
// serialise equal states to equal bytes). The follower must install the
// second leader's bytes alone: counting the new leader's first chunks as
// duplicates of the old one's spliced the two streams together.
func TestSnapshotInstallRestartsForNewLeader(t *testing.T) {
	nw := NewNetwork(1)
	defer nw.Close()
	tr, err := nw.Transport("f")
	require.NoError(t, err)
	var leaders []*MemTransport
	for _, id := range []string{"l1", "l2"} {
		lt, err := nw.Transport(id)
		require.NoError(t, err)
		defer lt.Close()
		leaders = append(leaders, lt)
	}
	fsm := &bytesFSM{}
	n, err := NewNode(testConfig("f"), Deps{FSM: fsm, Logs: NewMemLogStore(), Stable: NewMemStableStore(),
		Snapshots: NewMemSnapshotStore(), Transport: tr})
	require.NoError(t, err)
	defer n.Close()

	conf := raftwire.Configuration{Servers: []raftwire.Server{
		{ID: "f", Address: "f"}, {ID: "l1", Address: "l1"}, {ID: "l2", Address: "l2"}}}
	chunk := func(from int, term, off uint64, data string, done bool) {
		lt, id := leaders[from], []string{"l1", "l2"}[from]
		require.NoError(t, lt.Send("f", &raftwire.Message{From: id, To: "f", FromAddr: id, InstallSnapshot: &raftwire.InstallSnapshot{
			Term: term, LeaderID: id, LastIncludedIndex: 10, LastIncludedTerm: 1, Configuration: conf, ConfigIndex: 1,
			Offset: off, Data: []byte(data), Done: done, TotalSize: 8,
		}}))
		select {
		case m := <-lt.Inbound():
			require.NotNil(t, m.InstallSnapshotResponse)
		case <-time.After(5 * time.Second):
			t.Fatal("no answer to a snapshot chunk")
		}
	}
	chunk(0, 2, 0, "AAAA", false)
	chunk(1, 3, 0, "BBBB", false)
	chunk(1, 3, 4, "BBBB", true)
	waitFor(t, 5*time.Second, "the snapshot is installed", func() bool { return n.AppliedIndex() == 10 })
	fsm.mu.Lock()
	defer fsm.mu.Unlock()
	require.Equal(t, "BBBBBBBB", string(fsm.restored))
}

// failingPrefixLog fails TruncatePrefix once failing is set.
type failingPrefixLog struct {
	LogStore
	failing atomic.Bool
}

func (l *failingPrefixLog) TruncatePrefix(index uint64) error {
	if l.failing.Load() {
		return errors.New("disk gone")
	}
	return l.LogStore.TruncatePrefix(index)
}

// waitReplicated waits until every follower of the leader l holds index:
// compaction then reaches it, whoever is cut off afterwards.
func waitReplicated(t *testing.T, l *Node, index uint64) {
	t.Helper()
	waitFor(t, 10*time.Second, "every follower holds the entry", func() bool {
		st := l.Status()
		for _, p := range st.Peers {
			if p.Match < index {
				return false
			}
		}
		return len(st.Peers) > 0
	})
}

// TestTransferEndsWhenStorageFails starts a leadership transfer that cannot
// finish (its target is cut off), then makes the leader's log store fail.
// The node stops; the transfer must end with the storage error rather than
// wait for a deadline that the stopped core no longer checks.
func TestTransferEndsWhenStorageFails(t *testing.T) {
	c, logs, l := clusterOverFailingLogs(t, 7, func(cfg *Config) {
		cfg.ElectionTimeoutMax = 3 * time.Second // also the transfer's deadline
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	target := c.follower(l)
	c.net.Isolate(target)

	done := make(chan error, 1)
	go func() { done <- l.TransferLeadership(ctx, target) }()
	waitFor(t, 10*time.Second, "the transfer to start", func() bool {
		_, err := l.Propose(ctx, putCmd("a", "2"))
		return errors.Is(err, ErrTransferInProgress)
	})
	logs[l.ID()].failing.Store(true)
	_, err := l.Snapshot(ctx) // compacting the log fails and stops the node
	require.NoError(t, err)
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrStorage)
	case <-ctx.Done():
		t.Fatal("TransferLeadership still waiting after the node stopped on a storage failure")
	}
}

// TestNewNodeRefusesLogAfterMissingEntries opens a node on a log compacted
// past its newest snapshot (that snapshot lost or unreadable): the entries
// between them are gone, so the FSM can never be brought up to date. It
// must fail with a clear error instead of starting a node whose applier
// waits for those entries for ever.
func TestNewNodeRefusesLogAfterMissingEntries(t *testing.T) {
	logs := NewMemLogStore()
	var ents []raftwire.Entry
	for i := uint64(1); i <= 10; i++ {
		ents = append(ents, raftwire.Entry{Index: i, Term: 1})
	}
	require.NoError(t, logs.Append(ents))
	require.NoError(t, logs.TruncatePrefix(5))
	snaps := NewMemSnapshotStore()
	for _, snapIndex := range []uint64{0, 3} { // no snapshot, then one too old
		if snapIndex > 0 {
			sink, err := snaps.Create(raftwire.SnapshotMeta{Index: snapIndex, Term: 1, ConfigIndex: 1,
				Configuration: raftwire.Configuration{Servers: []raftwire.Server{{ID: "n1", Address: "n1"}}}})
			require.NoError(t, err)
			require.NoError(t, sink.Close())
		}
		nw := NewNetwork(1)
		tr, err := nw.Transport("n1")
		require.NoError(t, err)
		n, err := NewNode(testConfig("n1"), Deps{FSM: newKV(), Logs: logs, Stable: NewMemStableStore(), Snapshots: snaps, Transport: tr})
		if err == nil {
			n.Close()
		}
		nw.Close()
		require.ErrorIs(t, err, ErrStorage, "snapshot at %d", snapIndex)
		require.ErrorContains(t, err, "log starts at index 6")
	}
}

// TestPendingProposalsEndWhenStorageFails leaves a proposal uncommitted (the
// leader is cut off), then makes the leader's log store fail. The node
// stops; the proposal's future must resolve, with an error saying the
// outcome is unknown because of the storage failure, rather than wait
// until Close, and later calls must fail with the storage error.
func TestPendingProposalsEndWhenStorageFails(t *testing.T) {
	c, logs, l := clusterOverFailingLogs(t, 8, func(cfg *Config) {
		cfg.CheckQuorum = false // the cut-off leader stays leader
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c.net.Isolate(l.ID())
	f, err := l.ProposeAsync(ctx, putCmd("a", "2"))
	require.NoError(t, err)

	logs[l.ID()].failing.Store(true)
	_, err = l.Snapshot(ctx) // compacting the log fails and stops the node
	require.NoError(t, err)
	_, err = f.Wait(ctx)
	require.NoError(t, ctx.Err(), "the future is still pending after the node stopped on a storage failure")
	require.ErrorIs(t, err, ErrStorage)
	require.ErrorIs(t, err, ErrOutcomeUnknown)

	// Later calls are told too, rather than wait for the stopped core.
	read := make(chan error, 1)
	go func() {
		_, err := l.ReadIndex(ctx)
		read <- err
	}()
	select {
	case err = <-read:
		require.ErrorIs(t, err, ErrStorage)
	case <-ctx.Done():
		t.Fatal("ReadIndex waits for the stopped core")
	}
	_, err = l.Propose(ctx, putCmd("a", "3"))
	require.ErrorIs(t, err, ErrStorage)
}

// clusterOverFailingLogs starts three nodes whose logs can be made to fail
// (failingPrefixLog), with patient elections, no trailing logs and tweak,
// and returns once the leader has replicated a first entry everywhere.
func clusterOverFailingLogs(t *testing.T, seed uint64, tweak func(*Config)) (*cluster, map[string]*failingPrefixLog, *Node) {
	t.Helper()
	logs := map[string]*failingPrefixLog{}
	c := newClusterWith(t, 3, seed, func(cfg *Config) {
		patientElections(cfg)
		cfg.TrailingLogs = 0
		tweak(cfg)
	}, func(id string, s *testStores) {
		l := &failingPrefixLog{LogStore: s.logs}
		logs[id] = l
		s.logs = l
	})
	l := c.leader(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := l.Propose(ctx, putCmd("a", "1"))
	require.NoError(t, err)
	waitReplicated(t, l, r.Index)
	return c, logs, l
}
