package tcp_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/tcp"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

// listFSM appends every command to a list; its snapshot is the list.
type listFSM struct {
	mu   sync.Mutex
	cmds [][]byte
}

func (f *listFSM) Apply(_ uint64, cmd []byte) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = append(f.cmds, bytes.Clone(cmd))
	return len(f.cmds)
}

func (f *listFSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b []byte
	for _, c := range f.cmds {
		b = binary.AppendUvarint(b, uint64(len(c)))
		b = append(b, c...)
	}
	return listSnap(b), nil
}

func (f *listFSM) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var cmds [][]byte
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return fmt.Errorf("listFSM: bad snapshot")
		}
		cmds = append(cmds, bytes.Clone(b[k:k+int(n)]))
		b = b[k+int(n):]
	}
	f.mu.Lock()
	f.cmds = cmds
	f.mu.Unlock()
	return nil
}

func (f *listFSM) list() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.cmds...)
}

type listSnap []byte

func (s listSnap) Persist(w io.Writer) error { _, err := w.Write(s); return err }
func (s listSnap) Release()                  {}

// durableNode is a Raft node on the WAL stores of dir and a TCP transport.
type durableNode struct {
	id, dir string
	addr    string
	fsm     *listFSM
	node    *raft.Node
	logs    *wal.WAL
	tr      *tcp.Transport
}

func startDurable(t *testing.T, id, dir, addr string) *durableNode {
	t.Helper()
	walCfg := wal.DefaultConfig()
	walCfg.SegmentSize = 16 << 10 // roll and compact whole segments during the test
	logs, err := wal.Open(filepath.Join(dir, "log"), walCfg)
	require.NoError(t, err)
	stable, err := wal.OpenStableStore(filepath.Join(dir, "state"))
	require.NoError(t, err)
	snaps, err := wal.OpenSnapshotStore(filepath.Join(dir, "snap"), wal.DefaultSnapshotConfig())
	require.NoError(t, err)
	tcfg := tcp.DefaultConfig()
	tcfg.ID = id
	if addr != "" {
		tcfg.ListenAddr = addr
	}
	tr, err := tcp.New(context.Background(), tcfg)
	require.NoError(t, err)

	cfg := raft.DefaultConfig()
	cfg.LocalID = id
	cfg.SnapshotThreshold = 100
	cfg.TrailingLogs = 10
	cfg.SnapshotChunkSize = 512 // a snapshot install takes many chunks
	fsm := &listFSM{}
	n, err := raft.NewNode(cfg, raft.Deps{FSM: fsm, Logs: logs, Stable: stable, Snapshots: snaps, Transport: tr})
	require.NoError(t, err)
	return &durableNode{id: id, dir: dir, addr: tr.LocalAddr(), fsm: fsm, node: n, logs: logs, tr: tr}
}

func (d *durableNode) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, d.node.Close())
	require.NoError(t, d.logs.Close())
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 20*time.Second, 5*time.Millisecond, what)
}

func leaderOf(t *testing.T, nodes []*durableNode) *durableNode {
	t.Helper()
	var l *durableNode
	waitUntil(t, "a leader is elected", func() bool {
		for _, d := range nodes {
			if d != nil && d.node.Role() == raft.Leader {
				l = d
				return true
			}
		}
		return false
	})
	return l
}

// changeConfig calls change on the leader until the leader's configuration
// passes done. On a loaded machine leadership can move during a change:
// it then fails (outcome unknown, not the leader, or a change still
// pending from the previous attempt) and is retried on the new leader.
func changeConfig(t *testing.T, nodes []*durableNode, what string, change func(*durableNode) error, done func(raftwire.Configuration) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		l := leaderOf(t, nodes)
		if done(l.node.Status().Configuration) {
			return
		}
		err := change(l)
		require.True(t, time.Now().Before(deadline), "%s: still not done, last error %v", what, err)
		if err != nil {
			t.Logf("%s: %v (retrying)", what, err)
			time.Sleep(20 * time.Millisecond) // retry backoff: the previous change may still be pending
		}
	}
}

func proposeN(t *testing.T, nodes []*durableNode, from, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := from; i < from+n; {
		l := leaderOf(t, nodes)
		if _, err := l.node.Propose(ctx, []byte(fmt.Sprintf("cmd-%05d", i))); err != nil {
			require.NoError(t, ctx.Err(), "proposal %d: %v", i, err)
			continue // leadership moved: retry on the new leader (may apply twice)
		}
		i++
	}
}

// TestRaftClusterOverTCPWithWAL runs three Raft nodes on loopback TCP with
// WAL stores, restarts a follower from its directories after the others
// have compacted past its log, and checks that it catches up (by a snapshot
// streamed in chunks over TCP) to the same state.
func TestRaftClusterOverTCPWithWAL(t *testing.T) {
	ids := []string{"n1", "n2", "n3"}
	nodes := make([]*durableNode, len(ids))
	var conf raftwire.Configuration
	for i, id := range ids {
		nodes[i] = startDurable(t, id, t.TempDir(), "")
		conf.Servers = append(conf.Servers, raftwire.Server{ID: id, Address: nodes[i].addr, Suffrage: raftwire.Voter})
	}
	defer func() {
		for _, d := range nodes {
			if d != nil {
				d.stop(t)
			}
		}
	}()
	ctx := context.Background()
	for _, d := range nodes {
		require.NoError(t, d.node.Bootstrap(ctx, conf))
	}

	proposeN(t, nodes, 0, 150)
	l := leaderOf(t, nodes)
	var f int
	for i, d := range nodes {
		if d != l {
			f = i
			break
		}
	}
	// Stop a follower and write past several snapshots without it.
	follower := nodes[f]
	follower.stop(t)
	nodes[f] = nil
	proposeN(t, nodes, 150, 350)
	total := 500
	followerLast := func() uint64 {
		w, err := wal.Open(filepath.Join(follower.dir, "log"), wal.DefaultConfig())
		require.NoError(t, err)
		defer w.Close()
		last, err := w.LastIndex()
		require.NoError(t, err)
		return last
	}()
	// The leader keeps what a follower it heard from within an election
	// timeout still needs, so on a fast run the snapshots taken soon after
	// the stop do not cut past the follower's log: write on until one does.
	deadline := time.Now().Add(30 * time.Second)
	for {
		first, err := l.logs.FirstIndex()
		require.NoError(t, err)
		if first > followerLast+1 {
			break
		}
		require.True(t, time.Now().Before(deadline),
			"the leader never compacted past the stopped follower's log (first index %d, follower's last %d)", first, followerLast)
		proposeN(t, nodes, total, 100)
		total += 100
	}

	nodes[f] = startDurable(t, follower.id, follower.dir, follower.addr)
	l = leaderOf(t, nodes)
	want := l.fsm.list()
	for _, d := range nodes {
		waitUntil(t, d.id+" applies every command", func() bool { return len(d.fsm.list()) == len(want) })
		require.Equal(t, want, d.fsm.list(), "%s state", d.id)
	}
	// Every command, in order; a proposal retried after a leader change may
	// have been applied twice in a row.
	var distinct []string
	for _, c := range want {
		if len(distinct) == 0 || distinct[len(distinct)-1] != string(c) {
			distinct = append(distinct, string(c))
		}
	}
	require.Len(t, distinct, total)
	for i, c := range distinct {
		require.Equal(t, fmt.Sprintf("cmd-%05d", i), c)
	}

	// A fourth server joins over TCP: it accepts anyone until it learns the
	// configuration, and the others let it in once it is in theirs.
	n4 := startDurable(t, "n4", t.TempDir(), "")
	nodes = append(nodes, n4)
	changeConfig(t, nodes, "n4 joins", func(l *durableNode) error { return l.node.AddVoter(ctx, "n4", n4.addr) },
		func(c raftwire.Configuration) bool { return len(c.Servers) == 4 })
	proposeN(t, nodes, total, 20)
	want = leaderOf(t, nodes).fsm.list()
	waitUntil(t, "n4 applies every command", func() bool { return len(n4.fsm.list()) == len(want) })
	require.Equal(t, want, n4.fsm.list())

	// Once removed, its messages are refused by the others' transports.
	changeConfig(t, nodes, "n4 leaves", func(l *durableNode) error {
		if l == n4 {
			return l.node.TransferLeadership(ctx, nodes[0].id)
		}
		return l.node.RemoveServer(ctx, "n4")
	}, func(c raftwire.Configuration) bool { return len(c.Servers) == 3 })
	refused := func() uint64 {
		var r uint64
		for _, d := range nodes[:3] {
			r += d.tr.Stats().Refused
		}
		return r
	}
	waitUntil(t, "the configuration without n4 reaches every member", func() bool {
		for _, d := range nodes[:3] {
			if len(d.node.Status().Configuration.Servers) != 3 {
				return false
			}
		}
		return true
	})
	// Whatever n4 sends now (a stale vote request here) is refused.
	waitUntil(t, "the removed server is refused", func() bool {
		_ = n4.tr.Send(nodes[0].addr, &raftwire.Message{From: "n4", To: nodes[0].id,
			RequestVote: &raftwire.RequestVote{CandidateID: "n4", PreVote: true}})
		return refused() > 0
	})
}
