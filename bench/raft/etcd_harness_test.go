package raft

// The etcd raft (go.etcd.io/raft/v3) side of the benchmarks. etcd raft is a
// library without transport or storage, so this harness supplies both the
// way etcd's own contrib/raftexample does:
//
//   - raft.MemoryStorage as the log and HardState store;
//   - a ticker calling Node.Tick every etcdTick (15 ms). ElectionTick 10
//     gives etcd's randomised election timeout of [10, 20) ticks =
//     [150, 300) ms, the [electionTO, 2*electionTO) of ours and hashicorp's;
//     HeartbeatTick 1 sends heartbeats every 15 ms = electionTO/10, as ours
//     and hashicorp's (HeartbeatTimeout/10) do. CheckQuorum and PreVote are
//     on, as in ours;
//   - the Ready loop of raftexample, one Ready at a time: save the snapshot,
//     HardState and Entries to the storage, send Messages, apply
//     CommittedEntries, Advance (no AsyncStorageWrites);
//   - one outgoing TCP connection per peer on loopback, fed by a queue of up
//     to 4096 messages (rafthttp's stream buffer): a sender goroutine writes
//     length-prefixed proto-marshalled raftpb.Message frames through a
//     bufio.Writer and flushes when its queue is empty, so messages queued
//     meanwhile share one write. A full queue or a failed write drops the
//     message and reports the peer unreachable, as rafthttp does;
//   - proposals go to the leader only (DisableProposalForwarding, as ours
//     and hashicorp refuse them on a follower) and are acknowledged when the
//     proposing server applies their entry: the first 8 bytes of each
//     128-byte command carry a cluster-wide request id.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	eraft "go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

const (
	etcdTick          = electionTO / 10 // ElectionTick*etcdTick = electionTO
	etcdElectionTick  = 10
	etcdHeartbeatTick = 1
	etcdSendQueue     = 4096    // rafthttp's streamBufSize
	etcdMaxFrame      = 1 << 26 // refuse frames above 64 MiB
)

var errEtcdLeadershipLost = errors.New("etcd: leadership lost before the entry was applied")

type etcdCluster struct {
	nodes  []*etcdNode
	leader atomic.Pointer[etcdNode]
	reqID  atomic.Uint64
}

// etcdNode is one server: the raft node, its storage, the Ready loop, the
// listener with its readers and one sender per peer.
type etcdNode struct {
	id      uint64
	node    eraft.Node
	storage *eraft.MemoryStorage
	ln      net.Listener
	ctx     context.Context // cancelled by stop
	cancel  context.CancelFunc
	wg      sync.WaitGroup // every goroutine of this server
	leader  atomic.Bool

	mu      sync.Mutex
	waiters map[uint64]chan error // by request id; nil once stopped
	conns   map[net.Conn]struct{} // accepted; nil once stopped

	sendq map[uint64]chan *raftpb.Message // by peer id, fixed after start
}

func startEtcd(tb testing.TB) cluster {
	c := &etcdCluster{}
	peers := make([]eraft.Peer, servers)
	addrs := make(map[uint64]string, servers)
	for i := range servers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			c.close()
			tb.Fatal(err)
		}
		id := uint64(i + 1)
		peers[i] = eraft.Peer{ID: id}
		addrs[id] = ln.Addr().String()
		ctx, cancel := context.WithCancel(context.Background())
		c.nodes = append(c.nodes, &etcdNode{
			id: id, storage: eraft.NewMemoryStorage(), ln: ln, ctx: ctx, cancel: cancel,
			waiters: map[uint64]chan error{}, conns: map[net.Conn]struct{}{},
			sendq: map[uint64]chan *raftpb.Message{},
		})
	}
	for _, n := range c.nodes {
		n.node = eraft.StartNode(&eraft.Config{
			ID:                        n.id,
			ElectionTick:              etcdElectionTick,
			HeartbeatTick:             etcdHeartbeatTick,
			Storage:                   n.storage,
			MaxSizePerMsg:             1 << 20, // raftexample's limits
			MaxInflightMsgs:           256,
			MaxUncommittedEntriesSize: 1 << 30,
			CheckQuorum:               true,
			PreVote:                   true,
			DisableProposalForwarding: true,
			Logger:                    &eraft.DefaultLogger{Logger: log.New(io.Discard, "", 0)},
		}, peers)
		for id, addr := range addrs {
			if id != n.id {
				q := make(chan *raftpb.Message, etcdSendQueue)
				n.sendq[id] = q
				n.wg.Add(1)
				go n.sender(id, addr, q)
			}
		}
		n.wg.Add(2)
		go n.accept()
		go n.run()
	}
	return c
}

func (c *etcdCluster) waitLeader(tb testing.TB) int {
	return pollLeader(tb, "etcd", c.nodes, &c.leader, func(n *etcdNode) bool { return n.leader.Load() })
}

func (c *etcdCluster) propose(cmd []byte) error {
	return retryMoved(c, "etcd", &c.leader, func(l *etcdNode) (bool, error) {
		err := l.propose(c.reqID.Add(1), cmd)
		return errors.Is(err, eraft.ErrProposalDropped) || errors.Is(err, errEtcdLeadershipLost), err
	})
}

func (c *etcdCluster) kill(i int) {
	c.nodes[i].stop()
	c.nodes[i] = nil
}

func (c *etcdCluster) close() {
	for _, n := range c.nodes {
		if n != nil {
			n.stop()
		}
	}
}

// propose proposes cmd with its first 8 bytes replaced by id and waits until
// this server applied it.
func (n *etcdNode) propose(id uint64, cmd []byte) error {
	data := make([]byte, len(cmd))
	copy(data, cmd)
	binary.LittleEndian.PutUint64(data, id)
	done := make(chan error, 1)
	n.mu.Lock()
	if n.waiters == nil {
		n.mu.Unlock()
		return eraft.ErrStopped
	}
	n.waiters[id] = done
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
	defer cancel()
	err := n.node.Propose(ctx, data)
	if err == nil {
		select {
		case err = <-done:
			return err
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	n.mu.Lock()
	delete(n.waiters, id)
	n.mu.Unlock()
	return err
}

// run is raftexample's Ready loop.
func (n *etcdNode) run() {
	defer n.wg.Done()
	ticker := time.NewTicker(etcdTick)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			n.node.Tick()
		case rd := <-n.node.Ready():
			if !eraft.IsEmptySnap(rd.Snapshot) {
				_ = n.storage.ApplySnapshot(rd.Snapshot) // never happens: no compaction
			}
			if !eraft.IsEmptyHardState(rd.HardState) {
				_ = n.storage.SetHardState(rd.HardState)
			}
			_ = n.storage.Append(rd.Entries)
			n.send(rd.Messages)
			n.apply(rd.CommittedEntries)
			if rd.SoftState != nil {
				lead := rd.SoftState.RaftState == eraft.StateLeader
				if n.leader.Swap(lead) && !lead {
					n.endWaiters(errEtcdLeadershipLost)
				}
			}
			n.node.Advance()
		case <-n.ctx.Done():
			return
		}
	}
}

func (n *etcdNode) apply(ents []*raftpb.Entry) {
	for _, e := range ents {
		switch e.GetType() {
		case raftpb.EntryNormal:
			if len(e.GetData()) < 8 { // a new leader's empty entry
				continue
			}
			id := binary.LittleEndian.Uint64(e.GetData())
			n.mu.Lock()
			done := n.waiters[id]
			delete(n.waiters, id)
			n.mu.Unlock()
			if done != nil {
				done <- nil
			}
		case raftpb.EntryConfChange: // the bootstrap's three AddNode entries
			var cc raftpb.ConfChange
			if err := proto.Unmarshal(e.GetData(), &cc); err == nil {
				n.node.ApplyConfChange(&cc)
			}
		}
	}
}

// endWaiters ends every pending proposal of this server with err.
func (n *etcdNode) endWaiters(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for id, done := range n.waiters {
		done <- err
		delete(n.waiters, id)
	}
}

func (n *etcdNode) send(msgs []*raftpb.Message) {
	for _, m := range msgs {
		select {
		case n.sendq[m.GetTo()] <- m:
		default:
			n.node.ReportUnreachable(m.GetTo())
		}
	}
}

// sender writes the messages queued for peer to one TCP connection, dialled
// on demand.
func (n *etcdNode) sender(peer uint64, addr string, q <-chan *raftpb.Message) {
	defer n.wg.Done()
	var conn net.Conn
	var w *bufio.Writer
	var buf []byte
	d := net.Dialer{Timeout: time.Second}
	fail := func(m *raftpb.Message) {
		if conn != nil {
			conn.Close()
			conn = nil
		}
		n.node.ReportUnreachable(peer)
		if m.GetType() == raftpb.MsgSnap {
			n.node.ReportSnapshot(peer, eraft.SnapshotFailure)
		}
	}
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		var m *raftpb.Message
		select {
		case m = <-q:
		case <-n.ctx.Done():
			return
		}
		if conn == nil {
			c, err := d.DialContext(n.ctx, "tcp", addr)
			if err != nil {
				fail(m)
				continue
			}
			conn, w = c, bufio.NewWriterSize(c, 64<<10)
		}
		var err error
		buf, err = proto.MarshalOptions{}.MarshalAppend(append(buf[:0], 0, 0, 0, 0), m)
		if err != nil {
			panic(fmt.Sprintf("etcd: marshal %v: %v", m.GetType(), err))
		}
		binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
		if _, err = w.Write(buf); err == nil && len(q) == 0 {
			err = w.Flush()
		}
		if err != nil {
			fail(m)
			continue
		}
		if m.GetType() == raftpb.MsgSnap {
			n.node.ReportSnapshot(peer, eraft.SnapshotFinish)
		}
	}
}

func (n *etcdNode) accept() {
	defer n.wg.Done()
	for {
		conn, err := n.ln.Accept()
		if err != nil {
			return // closed by stop
		}
		n.mu.Lock()
		if n.conns == nil {
			n.mu.Unlock()
			conn.Close()
			return
		}
		n.conns[conn] = struct{}{}
		n.wg.Add(1)
		n.mu.Unlock()
		go n.receive(conn)
	}
}

// receive steps every frame read from conn into the raft node.
func (n *etcdNode) receive(conn net.Conn) {
	defer n.wg.Done()
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 64<<10)
	var hdr [4]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		size := binary.BigEndian.Uint32(hdr[:])
		if size > etcdMaxFrame {
			return
		}
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		m := &raftpb.Message{}
		if err := proto.Unmarshal(buf, m); err != nil {
			return
		}
		if err := n.node.Step(n.ctx, m); err != nil {
			return // stopped
		}
	}
}

// stop stops the raft node and waits for every goroutine of this server.
func (n *etcdNode) stop() {
	if n.node != nil {
		n.node.Stop()
	}
	n.cancel()
	n.ln.Close()
	n.mu.Lock()
	for conn := range n.conns {
		conn.Close()
	}
	n.conns = nil
	n.mu.Unlock()
	n.wg.Wait()
	n.mu.Lock()
	for _, done := range n.waiters {
		done <- eraft.ErrStopped
	}
	n.waiters = nil
	n.mu.Unlock()
}
