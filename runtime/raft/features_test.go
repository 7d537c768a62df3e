package raft

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TestHeartbeatPathTakesNoLock counts every lock acquisition of every node
// (and of the in-memory network and stores) of an idle 5-node cluster with
// 50 ms heartbeats for 2 s: there must be none, while heartbeats flow.
func TestHeartbeatPathTakesNoLock(t *testing.T) {
	c := newCluster(t, 5, 4, func(cfg *Config) {
		patientElections(cfg) // 50 ms heartbeats
	})
	l := c.leader(10 * time.Second)
	r, err := l.Propose(context.Background(), putCmd("k", "v"))
	require.NoError(t, err)
	c.waitApplied(5*time.Second, r.Index)
	// settle waits until the leader knows every follower is caught up and
	// every follower learnt the commit index from a heartbeat.
	settle := func(l *Node, index uint64) {
		waitFor(t, 5*time.Second, "all matches", func() bool {
			for _, p := range l.Status().Peers {
				if p.Match != index {
					return false
				}
			}
			return true
		})
		waitFor(t, 5*time.Second, "commit spread", func() bool {
			for _, n := range c.running() {
				if n.CommitIndex() != index {
					return false
				}
			}
			return true
		})
	}
	settle(l, r.Index)

	// Only heartbeats may flow in the measured window. On a loaded machine
	// a follower starved of CPU can time out and campaign, or the leader
	// retransmit to it; both take locks off the heartbeat path, so such a
	// window is measured again (at most five times).
	var locks atomic.Int64
	var stacks sync.Map
	hook := func() {
		if n := locks.Add(1); n <= 3 {
			buf := make([]byte, 4096)
			stacks.Store(n, string(buf[:runtime.Stack(buf, false)]))
		}
	}
	var sent, recv uint64
	for attempt := 1; ; attempt++ {
		locks.Store(0)
		stacks.Clear()
		m0 := sumMetrics(c)
		lockHook.Store(&hook)
		time.Sleep(2 * time.Second) // the measurement window, not synchronisation
		lockHook.Store(nil)
		m1 := sumMetrics(c)
		sent, recv = m1.HeartbeatsSent-m0.HeartbeatsSent, m1.HeartbeatsReceived-m0.HeartbeatsReceived
		if l.Role() == Leader && m1.Elections == m0.Elections && m1.Retransmits == m0.Retransmits {
			break
		}
		require.Less(t, attempt, 5, "an election or a retransmission in every measurement window")
		t.Logf("attempt %d: elections %d, retransmits %d, leader still %v; measuring again",
			attempt, m1.Elections-m0.Elections, m1.Retransmits-m0.Retransmits, l.Role() == Leader)
		l = c.leader(10 * time.Second)
		r, err = l.Propose(context.Background(), putCmd("k", "v"))
		require.NoError(t, err)
		settle(l, r.Index)
	}

	stacks.Range(func(_, v any) bool { t.Logf("lock taken at:\n%s", v); return true })
	require.Zero(t, locks.Load(), "mutex acquisitions on the heartbeat path")
	t.Logf("heartbeats sent %d, received %d, lock acquisitions %d", sent, recv, locks.Load())
	require.Greater(t, sent, uint64(4), "heartbeats were sent")
	require.Greater(t, recv, uint64(4), "heartbeats were received")
}

// sumMetrics adds up the counters the heartbeat test reads over the
// running nodes.
func sumMetrics(c *cluster) (sum Metrics) {
	for _, n := range c.running() {
		m := n.Metrics()
		sum.HeartbeatsSent += m.HeartbeatsSent
		sum.HeartbeatsReceived += m.HeartbeatsReceived
		sum.Elections += m.Elections
		sum.Retransmits += m.Retransmits
	}
	return sum
}

// TestOnlyCountedLocks makes sure every lock of the package is the counted
// kind, so TestHeartbeatPathTakesNoLock cannot miss one.
func TestOnlyCountedLocks(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "lock.go" {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = parser.ParseFile(fset, f, src, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, bad := range []string{"sync.Mutex", "sync.RWMutex", "sync.Cond"} {
			require.NotContains(t, string(src), bad, "%s uses %s; use mutex/rwmutex from lock.go", f, bad)
		}
	}
}

// blockingLogStore wraps a LogStore whose Append can be made to block.
type blockingLogStore struct {
	LogStore
	blocked atomic.Bool
	release chan struct{}
	once    sync.Once
}

func (b *blockingLogStore) Append(e []raftwire.Entry) error {
	if b.blocked.Load() {
		<-b.release
	}
	return b.LogStore.Append(e)
}

func (b *blockingLogStore) unblock() { b.once.Do(func() { close(b.release) }) }

// TestStalledLeaderStepsDown: a leader whose LogStore.Append blocks stops
// heartbeating and steps down; a healthy server takes over and commits.
func TestStalledLeaderStepsDown(t *testing.T) {
	c := &cluster{}
	wraps := map[string]*blockingLogStore{}
	c = newClusterWith(t, 3, 5, func(cfg *Config) { cfg.LogStallTimeout = 300 * time.Millisecond },
		func(id string, s *testStores) {
			w := &blockingLogStore{LogStore: s.logs, release: make(chan struct{})}
			wraps[id] = w
			s.logs = w
		})
	defer func() {
		for _, w := range wraps {
			w.unblock()
		}
	}()
	old := c.leader(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := old.Propose(ctx, putCmd("a", "1"))
	require.NoError(t, err)
	oldTerm := old.Term()

	wraps[old.ID()].blocked.Store(true)
	f, err := old.ProposeAsync(ctx, putCmd("a", "2")) // its Append blocks
	require.NoError(t, err)
	_ = f

	var nl *Node
	waitFor(t, 10*time.Second, "a new leader", func() bool {
		for _, n := range c.running() {
			if n != old && n.Role() == Leader && n.Term() > oldTerm {
				nl = n
				return true
			}
		}
		return false
	})
	require.NotEqual(t, Leader, old.Role())
	require.EqualValues(t, 1, old.Metrics().StallStepDowns)
	r, err := nl.Propose(ctx, putCmd("a", "3"))
	require.NoError(t, err)
	require.Positive(t, r.Index)
	wraps[old.ID()].unblock()
	c.waitApplied(10*time.Second, r.Index)
	require.Equal(t, "3", c.fsms[old.ID()].get("a"))
	c.checkStateMachineSafety()
}

// TestSlowFollowerOneSnapshotInstall: a follower cut off while the leader
// compacted its log catches up through exactly one snapshot install while
// writes continue, then follows from the log.
func TestSlowFollowerOneSnapshotInstall(t *testing.T) {
	c := newCluster(t, 3, 6, func(cfg *Config) {
		cfg.SnapshotThreshold = 200
		cfg.TrailingLogs = 100
		cfg.SnapshotChunkSize = 512 // many chunks
	})
	l := c.leader(5 * time.Second)
	lag := c.follower(l)
	lagNode := c.node(lag)
	c.net.Isolate(lag)
	// The leader keeps the log a live follower needs; wait until it knows
	// this one is out of reach.
	waitFor(t, 10*time.Second, "leader notices the follower is gone", func() bool {
		for _, p := range c.leader(5 * time.Second).Status().Peers {
			if p.ID == lag && p.LastContact > 300*time.Millisecond {
				return true
			}
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 2000 {
		require.NoError(t, c.do(ctx, func(n *Node) error {
			_, err := n.ProposeAsync(ctx, putCmd(fmt.Sprintf("k%d", i%50), fmt.Sprint(i)))
			return err
		}))
	}
	_, err := c.propose(ctx, putCmd("k49", "final"))
	require.NoError(t, err)
	lagLast := lagNode.Status().LastIndex
	waitFor(t, 10*time.Second, "leader compacts past the follower's log", func() bool {
		l = c.leader(5 * time.Second)
		return l.Status().FirstIndex > lagLast+1
	})

	// Keep writing while the follower catches up.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			wctx, wcancel := context.WithTimeout(ctx, time.Second)
			if _, err := c.propose(wctx, putCmd(fmt.Sprintf("w%d", i%10), fmt.Sprint(i))); err == nil {
				writes.Add(1)
			}
			wcancel()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			c.dump()
		}
	})
	healCommit := c.leader(5 * time.Second).CommitIndex()
	c.net.Heal()
	// Caught up: past the snapshot and well into the log written since,
	// while the writes go on.
	waitFor(t, 30*time.Second, "follower caught up during writes", func() bool {
		return lagNode.AppliedIndex() > healCommit+100 && writes.Load() > 100
	})
	close(stop)
	wg.Wait()
	l = c.leader(5 * time.Second)
	c.waitApplied(10*time.Second, l.CommitIndex())
	require.EqualValues(t, 1, lagNode.Metrics().SnapshotsInstalled, "snapshot installs on the follower")
	require.EqualValues(t, 1, c.fsms[lag].restore)
	require.Equal(t, "final", c.fsms[lag].get("k49"))
	t.Logf("writes during catch-up: %d, leader snapshots sent: %d", writes.Load(), l.Metrics().SnapshotsSent)
}

func newClusterWith(t testing.TB, size int, seed uint64, tweak func(*Config), wrap func(string, *testStores)) *cluster {
	c := &cluster{
		t: t, net: NewNetwork(seed), nodes: map[string]*Node{}, fsms: map[string]*kvFSM{},
		stores: map[string]*testStores{}, tweak: tweak,
	}
	var conf raftwire.Configuration
	for i := range size {
		id := fmt.Sprintf("n%d", i+1)
		c.ids = append(c.ids, id)
		conf.Servers = append(conf.Servers, raftwire.Server{ID: id, Address: id, Suffrage: raftwire.Voter})
		s := &testStores{NewMemLogStore(), NewMemStableStore(), NewMemSnapshotStore()}
		if wrap != nil {
			wrap(id, s)
		}
		c.stores[id] = s
	}
	for _, id := range c.ids {
		c.start(id)
	}
	for i, id := range c.ids {
		err := c.node(id).Bootstrap(context.Background(), conf)
		// A slow machine may let the first servers elect a leader that
		// reaches a later one before its Bootstrap: it has state then, and
		// learns the configuration from the leader.
		if i == 0 || !errors.Is(err, ErrNotBootstrappable) {
			require.NoError(t, err)
		}
	}
	t.Cleanup(c.close)
	return c
}

func TestMembershipChanges(t *testing.T) {
	c := newCluster(t, 3, 7, nil)
	l := c.leader(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 20 {
		_, err := l.Propose(ctx, putCmd("k", fmt.Sprint(i)))
		require.NoError(t, err)
	}
	// A new, empty server joins as a learner, then becomes a voter.
	c.ids = append(c.ids, "n4")
	c.stores["n4"] = &testStores{NewMemLogStore(), NewMemStableStore(), NewMemSnapshotStore()}
	c.start("n4")
	require.NoError(t, c.do(ctx, func(n *Node) error { return n.AddLearner(ctx, "n4", "n4") }))
	require.ErrorIs(t, c.do(ctx, func(n *Node) error { return n.AddLearner(ctx, "n4", "n4") }), ErrBadConfiguration)
	r, err := c.propose(ctx, putCmd("k", "after-learner"))
	require.NoError(t, err)
	c.waitApplied(10*time.Second, r.Index)
	require.Equal(t, "after-learner", c.fsms["n4"].get("k"))
	require.NoError(t, c.do(ctx, func(n *Node) error { return n.AddVoter(ctx, "n4", "") }))
	l = c.leader(5 * time.Second)
	require.True(t, isVoter(l.Status().Configuration, "n4"))

	// Remove the leader itself: it steps down and the others carry on.
	var removed *Node
	require.NoError(t, c.do(ctx, func(n *Node) error { removed = n; return n.RemoveServer(ctx, n.ID()) }))
	waitFor(t, 5*time.Second, "old leader steps down", func() bool { return removed.Role() != Leader })
	c.crash(removed.ID())
	nl := c.leader(10 * time.Second)
	require.NotEqual(t, removed.ID(), nl.ID())
	r, err = c.propose(ctx, putCmd("k", "after-removal"))
	require.NoError(t, err)
	c.waitApplied(10*time.Second, r.Index)
	for _, n := range c.running() {
		_, ok := findServer(n.Status().Configuration, removed.ID())
		require.False(t, ok, "%s still lists the removed server", n.ID())
		require.Equal(t, "after-removal", c.fsms[n.ID()].get("k"))
	}
	c.checkStateMachineSafety()
}

func TestTransferLeadership(t *testing.T) {
	c := newCluster(t, 3, 8, patientElections)
	l := c.leader(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 10 {
		_, err := l.Propose(ctx, putCmd("k", fmt.Sprint(i)))
		require.NoError(t, err)
	}
	var target string
	for _, id := range c.ids {
		if id != l.ID() {
			target = id
		}
	}
	require.NoError(t, l.TransferLeadership(ctx, target))
	waitFor(t, 5*time.Second, "target leads", func() bool { return c.node(target).Role() == Leader })
	require.NotEqual(t, Leader, l.Role())
	r, err := c.node(target).Propose(ctx, putCmd("k", "new"))
	require.NoError(t, err)
	c.waitApplied(5*time.Second, r.Index)
	require.ErrorIs(t, l.TransferLeadership(ctx, ""), ErrNotLeader)
}

func TestReadIndex(t *testing.T) {
	c := newCluster(t, 3, 9, patientElections)
	l := c.leader(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := l.Propose(ctx, putCmd("x", "1"))
	require.NoError(t, err)
	idx, err := l.ReadIndex(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, idx, r.Index)
	require.Equal(t, "1", c.fsms[l.ID()].get("x"))
	for _, n := range c.running() {
		if n != l {
			_, err := n.ReadIndex(ctx)
			require.ErrorIs(t, err, ErrNotLeader)
		}
	}
	// A leader cut off from the others cannot confirm a read.
	c.net.Isolate(l.ID())
	short, cancel2 := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel2()
	_, err = l.ReadIndex(short)
	require.Error(t, err)
}

func TestRestartFromStores(t *testing.T) {
	c := newCluster(t, 3, 10, func(cfg *Config) { cfg.SnapshotThreshold = 30; cfg.TrailingLogs = 10 })
	c.leader(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var last Result
	for i := range 100 {
		r, err := c.propose(ctx, putCmd(fmt.Sprintf("k%d", i%7), fmt.Sprint(i)))
		require.NoError(t, err)
		last = r
	}
	c.waitApplied(5*time.Second, last.Index)
	for _, id := range c.ids {
		c.crash(id)
	}
	for _, id := range c.ids {
		c.start(id)
	}
	c.leader(5 * time.Second)
	r, err := c.propose(ctx, getCmd("k1"))
	require.NoError(t, err)
	require.Equal(t, "99", r.Response)
	c.waitApplied(5*time.Second, r.Index)
	for _, id := range c.ids {
		require.Equal(t, "99", c.fsms[id].get("k1"))
		require.Positive(t, c.node(id).Status().SnapshotIndex, "%s took snapshots", id)
	}
	c.checkStateMachineSafety()
	c.checkLogMatching()
}

func TestSnapshotAPIs(t *testing.T) {
	c := newCluster(t, 1, 11, func(cfg *Config) { cfg.SnapshotThreshold = 0; cfg.TrailingLogs = 5 })
	l := c.leader(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var last Result
	for i := range 40 {
		r, err := l.Propose(ctx, putCmd("k", fmt.Sprint(i)))
		require.NoError(t, err)
		last = r
	}
	meta, err := l.Snapshot(ctx)
	require.NoError(t, err)
	require.Equal(t, last.Index, meta.Index)
	waitFor(t, 5*time.Second, "compaction", func() bool { return l.Status().FirstIndex == meta.Index-5+1 })

	// etcd style: the application hands in its own snapshot.
	_, err = l.CreateSnapshot(ctx, last.Index+100, []byte("x"))
	require.ErrorIs(t, err, ErrSnapshotIndex)
	for i := range 10 {
		r, err := l.Propose(ctx, putCmd("k", fmt.Sprint(100+i)))
		require.NoError(t, err)
		last = r
	}
	snap, err := c.fsms[l.ID()].Snapshot()
	require.NoError(t, err)
	meta2, err := l.CreateSnapshot(ctx, last.Index, snap.(*kvSnap).data)
	require.NoError(t, err)
	require.Equal(t, last.Index, meta2.Index)
	c.crash(l.ID())
	n := c.start(l.ID())
	require.Equal(t, "109", c.fsms[n.ID()].get("k"))
	require.Equal(t, last.Index, n.AppliedIndex())
}

func TestConfigValidate(t *testing.T) {
	for name, tc := range map[string]func(*Config){
		"no id":          func(c *Config) { c.LocalID = "" },
		"heartbeat":      func(c *Config) { c.HeartbeatInterval = 0 },
		"election range": func(c *Config) { c.ElectionTimeoutMax = c.ElectionTimeoutMin },
		"election min":   func(c *Config) { c.ElectionTimeoutMin = c.HeartbeatInterval },
		"inflight":       func(c *Config) { c.MaxInflightAppends = 0 },
		"stall":          func(c *Config) { c.LogStallTimeout = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.LocalID = "a"
			require.NoError(t, c.Validate())
			tc(&c)
			require.ErrorIs(t, c.Validate(), ErrInvalidConfig)
		})
	}
}

func TestConfigurationCodec(t *testing.T) {
	c := raftwire.Configuration{Servers: []raftwire.Server{
		{ID: "a", Address: "127.0.0.1:1", Suffrage: raftwire.Voter},
		{ID: "b", Address: "127.0.0.1:2", Suffrage: raftwire.Learner},
	}}
	b, err := encodeConfiguration(c)
	require.NoError(t, err)
	got, err := decodeConfiguration(b)
	require.NoError(t, err)
	require.Equal(t, c, got)
	_, err = decodeConfiguration([]byte{0xff, 0xff, 0xff})
	require.ErrorIs(t, err, ErrBadConfiguration)
	empty, err := encodeConfiguration(raftwire.Configuration{})
	require.NoError(t, err)
	_, err = decodeConfiguration(empty)
	require.ErrorIs(t, err, ErrBadConfiguration, "no voter")
}

func FuzzDecodeConfiguration(f *testing.F) {
	seed, err := encodeConfiguration(raftwire.Configuration{Servers: []raftwire.Server{{ID: "a", Address: "x"}}})
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte{1, 200, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeConfiguration(b)
		if err == nil {
			b, err := encodeConfiguration(c)
			require.NoError(t, err)
			got, err := decodeConfiguration(b)
			require.NoError(t, err)
			require.Equal(t, c, got)
		}
	})
}
