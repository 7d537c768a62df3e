package tcp_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/tcp"
)

// memServer is a Raft node on in-memory stores and a TCP transport with
// small frames; restart builds a new node on the same stores and address.
type memServer struct {
	id, addr string
	fsm      *listFSM
	deps     raft.Deps
	node     *raft.Node
}

const smallFrame = 64 << 10

func (s *memServer) start(t *testing.T) {
	t.Helper()
	tcfg := tcp.DefaultConfig()
	tcfg.ID, tcfg.MaxFrameSize = s.id, smallFrame
	if s.addr != "" {
		tcfg.ListenAddr = s.addr
	}
	tr, err := tcp.New(context.Background(), tcfg)
	require.NoError(t, err)
	s.addr = tr.LocalAddr()
	if s.deps.Logs == nil {
		s.deps = raft.Deps{Logs: raft.NewMemLogStore(), Stable: raft.NewMemStableStore(), Snapshots: raft.NewMemSnapshotStore()}
	}
	s.fsm = &listFSM{}
	s.deps.FSM, s.deps.Transport = s.fsm, tr
	cfg := raft.DefaultConfig()
	cfg.LocalID = s.id
	cfg.MaxAppendBytes = 4 * smallFrame // a batch could outgrow a frame
	s.node, err = raft.NewNode(cfg, s.deps)
	require.NoError(t, err)
}

// TestOversizedProposalDoesNotWedgeCluster proposes a command whose
// AppendEntries can never fit in a TCP frame. It must be refused at once:
// appended, it would sit at the head of every follower's replication
// stream, which the transport refuses for ever, so nothing proposed after
// it could commit either. Likewise a batch of entries that each fit but
// together do not is cut to fit.
func TestOversizedProposalDoesNotWedgeCluster(t *testing.T) {
	servers := []*memServer{{id: "n1"}, {id: "n2"}, {id: "n3"}}
	var conf raftwire.Configuration
	for _, s := range servers {
		s.start(t)
		conf.Servers = append(conf.Servers, raftwire.Server{ID: s.id, Address: s.addr, Suffrage: raftwire.Voter})
	}
	defer func() {
		for _, s := range servers {
			s.node.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, s := range servers {
		require.NoError(t, s.node.Bootstrap(ctx, conf))
	}
	leader := func() *memServer {
		var l *memServer
		require.Eventually(t, func() bool {
			for _, s := range servers {
				if s.node.Role() == raft.Leader {
					l = s
					return true
				}
			}
			return false
		}, 20*time.Second, 5*time.Millisecond)
		return l
	}
	l := leader()

	_, err := l.node.Propose(ctx, make([]byte, smallFrame))
	require.ErrorIs(t, err, raft.ErrProposalTooLarge)
	_, err = l.node.ProposeAsync(ctx, make([]byte, smallFrame))
	require.ErrorIs(t, err, raft.ErrProposalTooLarge)

	// The largest command that fits still commits, and so do later ones.
	max := l.node.MaxCommandSize()
	require.Greater(t, max, smallFrame/2)
	_, err = l.node.Propose(ctx, make([]byte, max))
	require.NoError(t, err)

	// A follower that was away catches up with entries that fit one frame
	// each but not all together.
	var f *memServer
	for _, s := range servers {
		if s != l {
			f = s
			break
		}
	}
	require.NoError(t, f.node.Close())
	for range 16 {
		_, err = l.node.Propose(ctx, make([]byte, smallFrame/4))
		require.NoError(t, err)
	}
	f.start(t)
	want := len(l.fsm.list())
	require.Eventually(t, func() bool { return len(f.fsm.list()) == want }, 20*time.Second, 5*time.Millisecond,
		"the restarted follower applies every entry")
}

// TestLargeMessageAfterIdleConnection sends a message larger than the
// writer's buffer over a connection that has been idle for longer than
// WriteTimeout. The write must get a fresh deadline: the one left by the
// last flush has expired, and a write under it fails at once, losing the
// message and the connection.
func TestLargeMessageAfterIdleConnection(t *testing.T) {
	const writeTimeout = 20 * time.Millisecond
	a := newTransport(t, "a", func(c *tcp.Config) { c.WriteTimeout = writeTimeout })
	b := newTransport(t, "b", nil)
	require.NoError(t, a.Send(b.LocalAddr(), appendMsg("a", "b", 1)))
	recv(t, b)
	// Let the deadline of that flush expire: the idle time is the point
	// of the test, not a wait for something to happen.
	time.Sleep(5 * writeTimeout)
	big := &raftwire.Message{From: "a", To: "b", InstallSnapshot: &raftwire.InstallSnapshot{
		Term: 1, LeaderID: "a", LastIncludedIndex: 10, Data: make([]byte, 256<<10),
	}}
	require.NoError(t, a.Send(b.LocalAddr(), big))
	m := recv(t, b)
	require.NotNil(t, m.InstallSnapshot)
	require.Len(t, m.InstallSnapshot.Data, 256<<10)
	require.EqualValues(t, 1, a.Stats().Dials, "the connection survived")
}
