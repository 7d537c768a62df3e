package raft

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TestSnapshotInstallOverConflictingLog installs a snapshot on a follower
// whose WAL holds entries past the snapshot's index, among them a
// configuration entry, then restarts the follower from its WAL. When the
// entry at the snapshot's index has another term, the whole log conflicts
// with the snapshot and must be gone from the store (Raft, Figure 13, rule
// 7): the store used to keep the stale suffix after the snapshot index, and
// the restarted follower reloaded it and took the stale membership. When
// the entry matches, the entries following it are kept (rule 6).
func TestSnapshotInstallOverConflictingLog(t *testing.T) {
	members := func(ids ...string) raftwire.Configuration {
		var c raftwire.Configuration
		for _, id := range ids {
			c.Servers = append(c.Servers, raftwire.Server{ID: id, Address: id})
		}
		return c
	}
	current, stale := members("f", "l"), members("f", "x")
	cfgEntry := func(i uint64, c raftwire.Configuration) raftwire.Entry {
		data, err := encodeConfiguration(c)
		require.NoError(t, err)
		return raftwire.Entry{Index: i, Term: 1, Type: raftwire.EntryConfig, Data: data}
	}
	for _, tc := range []struct {
		name     string
		snapTerm uint64 // term of the snapshot's last entry (3); the log has term 1 there
		wantLast uint64
		wantConf raftwire.Configuration
		// crashBeforeCut stores the snapshot without installing it, as
		// a crash after storing it and before cutting the log leaves it.
		crashBeforeCut bool
	}{
		{"conflicting log is discarded", 2, 3, current, false},
		{"matching log keeps its suffix", 1, 5, stale, false},
		{"conflicting log is discarded after a crash before the cut", 2, 3, current, true},
		{"matching log keeps its suffix after a crash before the cut", 1, 5, stale, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			open := func() (LogStore, StableStore, SnapshotStore) {
				logs, stable, snaps, err := openDurableStores(dir)
				require.NoError(t, err)
				return logs, stable, snaps
			}
			logs, stable, snaps := open()
			require.NoError(t, logs.Append([]raftwire.Entry{
				cfgEntry(1, current),
				{Index: 2, Term: 1, Type: raftwire.EntryNormal},
				{Index: 3, Term: 1, Type: raftwire.EntryNormal},
				cfgEntry(4, stale), // never committed
				{Index: 5, Term: 1, Type: raftwire.EntryNormal},
			}))
			require.NoError(t, stable.SaveHardState(raftwire.HardState{Term: 1}))

			nw := NewNetwork(1)
			defer nw.Close()
			lt, err := nw.Transport("l")
			require.NoError(t, err)
			defer lt.Close()
			start := func(logs LogStore, stable StableStore, snaps SnapshotStore) *Node {
				tr, err := nw.Transport("f")
				require.NoError(t, err)
				cfg := testConfig("f")
				patientElections(&cfg)
				n, err := NewNode(cfg, Deps{FSM: newKV(), Logs: logs, Stable: stable, Snapshots: snaps, Transport: tr})
				require.NoError(t, err)
				return n
			}
			// restart reopens the stores and the follower and checks
			// what it holds.
			restart := func(t *testing.T, wantLast uint64, wantConf raftwire.Configuration) {
				logs, stable, snaps := open()
				defer logs.Close()
				n := start(logs, stable, snaps)
				defer n.Close()
				require.Equal(t, wantConf, n.Status().Configuration, "membership after the restart")
				require.Equal(t, wantLast, n.log.lastIndex(), "last index after the restart")
				last, err := logs.LastIndex()
				require.NoError(t, err)
				require.Equal(t, wantLast, last, "last index in the store after the restart")
			}
			if tc.crashBeforeCut {
				// The snapshot was stored, then the follower crashed
				// before its log was cut: NewNode must cut it.
				sink, err := snaps.Create(raftwire.SnapshotMeta{Index: 3, Term: tc.snapTerm, Configuration: current, ConfigIndex: 1})
				require.NoError(t, err)
				require.NoError(t, sink.Close())
				n := start(logs, stable, snaps)
				require.NoError(t, n.Close())
				require.NoError(t, logs.Close())
				restart(t, tc.wantLast, tc.wantConf)
				return
			}
			n := start(logs, stable, snaps)
			require.NoError(t, lt.Send("f", &raftwire.Message{From: "l", To: "f", FromAddr: "l", InstallSnapshot: &raftwire.InstallSnapshot{
				Term: 5, LeaderID: "l", LastIncludedIndex: 3, LastIncludedTerm: tc.snapTerm,
				Configuration: current, ConfigIndex: 1, Done: true,
			}}))
			deadline := time.After(5 * time.Second)
			for answered := false; !answered; {
				select {
				case m := <-lt.Inbound(): // skip anything else, a vote request
					if r := m.InstallSnapshotResponse; r != nil {
						require.True(t, r.Success)
						answered = true
					}
				case <-deadline:
					t.Fatal("no answer to the snapshot")
				}
			}
			waitFor(t, 5*time.Second, "the log cut at the snapshot", func() bool {
				first, err := logs.FirstIndex()
				return err == nil && first == 4
			})
			require.NoError(t, n.Close())
			require.NoError(t, logs.Close())
			restart(t, tc.wantLast, tc.wantConf)
		})
	}
}

// failOnceSnaps fails the next snapshot written through it, at its Write or
// at its Close, once armed; failed receives each failure.
type failOnceSnaps struct {
	SnapshotStore
	armed   atomic.Bool
	atClose bool
	failed  chan struct{}
}

func (s *failOnceSnaps) Create(meta raftwire.SnapshotMeta) (SnapshotSink, error) {
	sink, err := s.SnapshotStore.Create(meta)
	if err != nil || !s.armed.Swap(false) {
		return sink, err
	}
	return &failingSink{SnapshotSink: sink, store: s}, nil
}

type failingSink struct {
	SnapshotSink
	store *failOnceSnaps
}

func (k *failingSink) Write(p []byte) (int, error) {
	if k.store.atClose {
		return k.SnapshotSink.Write(p)
	}
	k.store.failed <- struct{}{}
	return 0, errors.New("disk full")
}

func (k *failingSink) Close() error {
	if !k.store.atClose {
		return k.SnapshotSink.Close()
	}
	k.SnapshotSink.Cancel()
	k.store.failed <- struct{}{}
	return errors.New("disk full")
}

// TestSnapshotRetryAfterFailedWrite makes one snapshot write fail (its
// Write, or its Close) and retries. A failed write used to count as the
// last snapshot anyway: CreateSnapshot at the same index then failed with
// ErrSnapshotIndex for good, and the automatic snapshot waited for another
// SnapshotThreshold entries.
func TestSnapshotRetryAfterFailedWrite(t *testing.T) {
	for _, atClose := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail at close %v", atClose), func(t *testing.T) {
			snaps := &failOnceSnaps{atClose: atClose, failed: make(chan struct{}, 4)}
			const threshold = 10
			l := nodeOverSnaps(t, 21, threshold, snaps, &snaps.SnapshotStore)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			propose := func() Result {
				r, err := l.Propose(ctx, putCmd("k", "v"))
				require.NoError(t, err)
				return r
			}

			// etcd style: CreateSnapshot at the same index again.
			r := propose()
			snaps.armed.Store(true)
			_, err := l.CreateSnapshot(ctx, r.Index, []byte("x"))
			require.ErrorContains(t, err, "disk full")
			<-snaps.failed
			meta, err := l.CreateSnapshot(ctx, r.Index, []byte("x"))
			require.NoError(t, err, "retry at the same index")
			require.Equal(t, r.Index, meta.Index)
			taken := l.Metrics().SnapshotsTaken

			// Automatic: the failed snapshot no longer counts as taken,
			// and is retried once its pause (1 s) is over.
			snaps.armed.Store(true)
			for range threshold {
				r = propose()
			}
			<-snaps.failed
			waitFor(t, 5*time.Second, "the failed snapshot no longer counted", func() bool {
				return lastSnapIndex(l) == meta.Index
			})
			waitFor(t, 10*time.Second, "an automatic snapshot after the failed one", func() bool {
				propose()
				return l.Metrics().SnapshotsTaken > taken
			})
		})
	}
}

// failingSnaps fails every snapshot at Create and counts the attempts.
type failingSnaps struct {
	SnapshotStore
	creates atomic.Int32
}

func (s *failingSnaps) Create(raftwire.SnapshotMeta) (SnapshotSink, error) {
	s.creates.Add(1)
	return nil, errors.New("disk full")
}

// While snapshots keep failing, the automatic snapshot waits between
// attempts instead of capturing the FSM again with every applied batch.
func TestAutomaticSnapshotBacksOffAfterFailures(t *testing.T) {
	snaps := &failingSnaps{}
	const threshold = 4
	l := nodeOverSnaps(t, 22, threshold, snaps, &snaps.SnapshotStore)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	propose := func() {
		_, err := l.Propose(ctx, putCmd("k", "v"))
		require.NoError(t, err)
	}
	for range 20 * threshold {
		propose()
	}
	waitFor(t, 10*time.Second, "an automatic snapshot attempt", func() bool {
		if snaps.creates.Load() > 0 {
			return true
		}
		propose()
		return false
	})
	// One attempt per applied batch would be over 70; the pauses (1 s,
	// 2 s, 4 s, ...) allow a few in the time these proposals take.
	require.Less(t, snaps.creates.Load(), int32(10), "automatic snapshot attempts while the store fails")
}

// A CreateSnapshot that succeeds ends the pause of the failing automatic
// snapshot: the store works again. It used to leave the pause in place,
// and it doubles up to a minute.
func TestCreateSnapshotEndsAutomaticPause(t *testing.T) {
	snaps := &failOnceSnaps{failed: make(chan struct{}, 1)}
	const threshold = 4
	l := nodeOverSnaps(t, 24, threshold, snaps, &snaps.SnapshotStore)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	snaps.armed.Store(true)
	var r Result
	for range threshold {
		var err error
		r, err = l.Propose(ctx, putCmd("k", "v"))
		require.NoError(t, err)
	}
	<-snaps.failed
	waitFor(t, 5*time.Second, "the automatic snapshot paused", func() bool { return l.snapRetry.pause.Load() != 0 })
	_, err := l.CreateSnapshot(ctx, r.Index, []byte("x"))
	require.NoError(t, err)
	require.Zero(t, l.snapRetry.pause.Load(), "the pause after the CreateSnapshot that worked")
	require.True(t, l.snapRetry.due(time.Now()))
}

func TestSnapBackoffSchedule(t *testing.T) {
	var b snapBackoff
	now := time.Unix(1000, 0)
	require.True(t, b.due(now))
	var got []time.Duration
	for range 8 {
		got = append(got, b.failed(now))
	}
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 32 * time.Second, time.Minute, time.Minute}, got)
	require.False(t, b.due(now.Add(59*time.Second)))
	require.True(t, b.due(now.Add(time.Minute)))
	b.succeeded()
	require.True(t, b.due(now))
	require.Equal(t, time.Second, b.failed(now), "a success starts over")
}

// nodeOverSnaps starts a one-node cluster with the given SnapshotThreshold
// whose snapshot store is wrapper, set to wrap the in-memory one through
// inner (the store wrapper embeds), and returns the node once it leads.
func nodeOverSnaps(t *testing.T, seed, threshold uint64, wrapper SnapshotStore, inner *SnapshotStore) *Node {
	t.Helper()
	c := newClusterWith(t, 1, seed, func(cfg *Config) { cfg.SnapshotThreshold = threshold },
		func(_ string, s *testStores) { *inner, s.snaps = s.snaps, wrapper })
	return c.leader(5 * time.Second)
}

// lastSnapIndex reads the applier's last snapshot index.
func lastSnapIndex(n *Node) uint64 {
	c := make(chan uint64, 1)
	select {
	case n.applierReq <- func(a *applier) { c <- a.lastSnapIndex() }:
	case <-n.stopCh:
		return 0
	}
	select {
	case i := <-c:
		return i
	case <-n.stopCh:
		return 0
	}
}

// gatedSnaps holds every snapshot write until the test answers it: Write
// reports the snapshot's index on writing, then waits for its result on
// result (nil lets the data through).
type gatedSnaps struct {
	SnapshotStore
	writing chan uint64
	result  chan error
}

func (s *gatedSnaps) Create(meta raftwire.SnapshotMeta) (SnapshotSink, error) {
	sink, err := s.SnapshotStore.Create(meta)
	if err != nil {
		return sink, err
	}
	return &gatedSink{SnapshotSink: sink, store: s, index: meta.Index}, nil
}

type gatedSink struct {
	SnapshotSink
	store *gatedSnaps
	index uint64
}

func (k *gatedSink) Write(p []byte) (int, error) {
	k.store.writing <- k.index
	if err := <-k.store.result; err != nil {
		return 0, err
	}
	return k.SnapshotSink.Write(p)
}

// TestSnapshotRetryAfterTwoFailedWrites fails two CreateSnapshot calls in
// flight together, at indexes a < b, then retries at a. b's reservation
// was made while a's was in place, so handing b back used to restore a as
// the last snapshot although it was never stored, and the retry at a
// failed with ErrSnapshotIndex (and the automatic snapshot counted its
// threshold from a snapshot that did not exist).
func TestSnapshotRetryAfterTwoFailedWrites(t *testing.T) {
	snaps := &gatedSnaps{writing: make(chan uint64), result: make(chan error)}
	l := nodeOverSnaps(t, 23, 0, snaps, &snaps.SnapshotStore)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var idx [2]uint64
	for i := range idx {
		r, err := l.Propose(ctx, putCmd("k", "v"))
		require.NoError(t, err)
		idx[i] = r.Index
	}
	a, b := idx[0], idx[1]
	errs := make(chan error, 2)
	create := func(index uint64) {
		go func() {
			_, err := l.CreateSnapshot(ctx, index, []byte("x"))
			errs <- err
		}()
	}
	create(a)
	require.Equal(t, a, <-snaps.writing)
	create(b) // reserves b, then waits for a's write to end
	waitFor(t, 5*time.Second, "b reserved", func() bool { return lastSnapIndex(l) == b })
	snaps.result <- errors.New("disk full")
	require.ErrorContains(t, <-errs, "disk full")
	require.Equal(t, b, <-snaps.writing)
	snaps.result <- errors.New("disk full")
	require.ErrorContains(t, <-errs, "disk full")
	require.Zero(t, lastSnapIndex(l), "neither snapshot was stored")

	create(a)
	select {
	case i := <-snaps.writing:
		require.Equal(t, a, i)
	case err := <-errs:
		t.Fatalf("the retry at %d was refused: %v", a, err)
	}
	snaps.result <- nil
	require.NoError(t, <-errs)
	require.Equal(t, a, lastSnapIndex(l))
}

// Snapshots may be stored out of order (a follower's own snapshot ends
// after it installed the leader's newer one; two CreateSnapshot calls take
// turns as the scheduler picks). MemSnapshotStore's Open returned the one
// closed last, not the newest: the applier then stopped the node with
// ErrStorage, and a restart found the log compacted past its snapshot.
func TestMemSnapshotStoreKeepsNewest(t *testing.T) {
	s := NewMemSnapshotStore()
	create := func(index, term uint64) SnapshotSink {
		k, err := s.Create(raftwire.SnapshotMeta{Index: index, Term: term})
		require.NoError(t, err)
		_, err = k.Write([]byte(fmt.Sprint(index, term)))
		require.NoError(t, err)
		return k
	}
	older, newer := create(5, 2), create(10, 2)
	require.NoError(t, newer.Close())
	require.NoError(t, older.Close())
	meta, _, err := s.Open()
	require.NoError(t, err)
	require.Equal(t, uint64(10), meta.Index)

	require.NoError(t, create(10, 3).Close()) // a later leader's, same index
	meta, rc, err := s.Open()
	require.NoError(t, err)
	require.Equal(t, raftwire.SnapshotMeta{Index: 10, Term: 3, Size: 4}, meta)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, "10 3", string(b))
}

// TestDeadFollowerAfterInstallReleasesLog: the leader keeps the log after
// a snapshot it sent until the follower caught up from it. A follower that
// goes silent right after its install never catches up, and its hold used
// to stop compaction at the snapshot for good, so the leader's log grew
// without bound; a dead follower must not hold the log, as one that dies
// during the stream already does not.
func TestDeadFollowerAfterInstallReleasesLog(t *testing.T) {
	c := newCluster(t, 3, 25, func(cfg *Config) {
		// Long enough not to depose the leader on a loaded machine, short
		// enough to wait for the follower's silence twice.
		cfg.ElectionTimeoutMin, cfg.ElectionTimeoutMax = 500*time.Millisecond, time.Second
		cfg.SnapshotThreshold = 20
		cfg.TrailingLogs = 5
	})
	l := c.leader(5 * time.Second)
	lag := c.follower(l)
	peer := func() PeerStatus {
		for _, p := range l.Status().Peers {
			if p.ID == lag {
				return p
			}
		}
		t.Fatalf("%s is no peer of the leader", lag)
		return PeerStatus{}
	}
	silent := func() bool { return peer().LastContact > l.cfg.ElectionTimeoutMin }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	write := func(k int) {
		for i := range k {
			_, err := l.Propose(ctx, putCmd(fmt.Sprintf("k%d", i%5), "v"))
			require.NoError(t, err)
		}
	}

	c.net.Isolate(lag)
	waitFor(t, 10*time.Second, "the leader notices the follower is gone", silent)
	lagLast := c.node(lag).Status().LastIndex
	write(60)
	waitFor(t, 10*time.Second, "the leader compacts past the follower", func() bool { return l.Status().FirstIndex > lagLast+1 })

	// Let the snapshot through, then nothing more from the leader: the
	// follower installs it and is never heard from again.
	var installed atomic.Bool
	drop := func(from, to string, m *raftwire.Message) bool {
		if from != l.ID() || to != lag {
			return false
		}
		if installed.Load() {
			return true
		}
		if m.InstallSnapshot != nil && m.InstallSnapshot.Done {
			installed.Store(true)
		}
		return false
	}
	c.net.drop.Store(&drop)
	c.net.Heal()
	waitFor(t, 10*time.Second, "the follower installs the snapshot", func() bool {
		return installed.Load() && peer().Match >= lagLast+1
	})
	held := peer().Match
	waitFor(t, 10*time.Second, "the follower goes silent", silent)
	waitFor(t, 10*time.Second, "the leader compacts past the dead follower's snapshot", func() bool {
		write(10)
		return l.Status().FirstIndex > held+1
	})
	require.Equal(t, uint64(1), l.Metrics().SnapshotsSent)
}
