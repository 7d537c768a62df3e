package tcp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/tcp"
)

const waitFor = 10 * time.Second

func newTransport(t *testing.T, id string, mod func(*tcp.Config)) *tcp.Transport {
	t.Helper()
	cfg := tcp.DefaultConfig()
	cfg.ID = id
	if mod != nil {
		mod(&cfg)
	}
	tr, err := tcp.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return tr
}

func appendMsg(from, to string, i uint64) *raftwire.Message {
	return &raftwire.Message{From: from, To: to, AppendEntries: &raftwire.AppendEntries{
		Term: 1, LeaderID: from, PrevLogIndex: i, ReadContext: i,
		Entries: []raftwire.Entry{{Index: i + 1, Term: 1, Data: []byte("payload")}},
	}}
}

// recv waits for the next inbound message.
func recv(t *testing.T, tr *tcp.Transport) *raftwire.Message {
	t.Helper()
	select {
	case m, ok := <-tr.Inbound():
		require.True(t, ok, "inbound closed")
		return m
	case <-time.After(waitFor):
		t.Fatal("no message within", waitFor)
		return nil
	}
}

func TestDeliveryInOrderBothWays(t *testing.T) {
	a := newTransport(t, "a", nil)
	b := newTransport(t, "b", nil)
	const n = 2000
	go func() {
		for i := uint64(0); i < n; i++ {
			for a.Send(b.LocalAddr(), appendMsg("a", "b", i)) != nil {
				// queue full: a real Raft would retransmit later; here retry
				time.Sleep(time.Millisecond)
			}
		}
	}()
	require.NoError(t, b.Send(a.LocalAddr(), appendMsg("b", "a", 42)))
	for i := uint64(0); i < n; i++ {
		m := recv(t, b)
		require.Equal(t, "a", m.From)
		require.Equal(t, i, m.AppendEntries.ReadContext, "per-peer order")
		require.Equal(t, []byte("payload"), m.AppendEntries.Entries[0].Data)
	}
	m := recv(t, a)
	require.Equal(t, uint64(42), m.AppendEntries.ReadContext)
	st := a.Stats()
	require.Equal(t, uint64(n), st.FramesSent)
	require.Less(t, st.Flushes, st.FramesSent, "frames are batched into flushes")
	require.Equal(t, uint64(n), b.Stats().FramesReceived)
}

func TestLargeSnapshotChunk(t *testing.T) {
	a := newTransport(t, "a", nil)
	b := newTransport(t, "b", nil)
	chunk := bytes.Repeat([]byte("snapshot"), 1<<19) // 4 MiB, under the 16 MiB default
	for off := uint64(0); off < 3; off++ {
		require.NoError(t, a.Send(b.LocalAddr(), &raftwire.Message{From: "a", To: "b", InstallSnapshot: &raftwire.InstallSnapshot{
			Term: 2, LeaderID: "a", LastIncludedIndex: 100, Offset: off * uint64(len(chunk)), Data: chunk, Done: off == 2,
		}}))
	}
	for off := uint64(0); off < 3; off++ {
		m := recv(t, b)
		require.Equal(t, off*uint64(len(chunk)), m.InstallSnapshot.Offset)
		require.Equal(t, chunk, m.InstallSnapshot.Data)
	}
}

func TestReconnectAfterPeerRestart(t *testing.T) {
	a := newTransport(t, "a", nil)
	b := newTransport(t, "b", nil)
	addr := b.LocalAddr()
	require.NoError(t, a.Send(addr, appendMsg("a", "b", 1)))
	require.Equal(t, uint64(1), recv(t, b).AppendEntries.ReadContext)
	require.NoError(t, b.Close())
	_, ok := <-b.Inbound()
	require.False(t, ok, "Close closes Inbound")

	b2 := newTransport(t, "b", func(c *tcp.Config) { c.ListenAddr = addr })
	// The first sends may die with the old connection; keep sending, as
	// Raft does, until one arrives on the new server.
	deadline := time.After(waitFor)
	for i := uint64(2); ; i++ {
		_ = a.Send(addr, appendMsg("a", "b", i))
		select {
		case m := <-b2.Inbound():
			require.Equal(t, "a", m.From)
			require.GreaterOrEqual(t, m.AppendEntries.ReadContext, uint64(2))
			require.GreaterOrEqual(t, a.Stats().Dials, uint64(2), "a reconnected")
			return
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("no message after the peer restarted")
		}
	}
}

func TestUnknownPeerRefused(t *testing.T) {
	a := newTransport(t, "a", nil)
	b := newTransport(t, "b", nil)
	b.SetPeers([]raftwire.Server{{ID: "b"}, {ID: "c"}})

	// a is not in b's configuration: its connection is refused and Send
	// reports raft.ErrUnknownPeer once a knows.
	deadline := time.Now().Add(waitFor)
	var err error
	for err == nil && time.Now().Before(deadline) {
		err = a.Send(b.LocalAddr(), appendMsg("a", "b", 1))
		if err == nil {
			time.Sleep(5 * time.Millisecond) // waiting for a's writer to hear the refusal
		}
	}
	require.ErrorIs(t, err, raft.ErrUnknownPeer)
	require.GreaterOrEqual(t, b.Stats().Refused, uint64(1))
	select {
	case m := <-b.Inbound():
		t.Fatalf("refused server delivered %+v", m)
	default:
	}

	// A sender refuses destinations outside its own configuration at once.
	a.SetPeers([]raftwire.Server{{ID: "a"}, {ID: "b"}})
	require.ErrorIs(t, a.Send(b.LocalAddr(), appendMsg("a", "zz", 1)), raft.ErrUnknownPeer)

	// An empty configuration (a server not yet in any cluster) accepts all.
	b.SetPeers(nil)
	sendUntilReceived(t, a, b)

	// So does a configuration that includes a.
	b.SetPeers([]raftwire.Server{{ID: "b"}, {ID: "c"}})
	require.Eventually(t, func() bool { return errors.Is(a.Send(b.LocalAddr(), appendMsg("a", "b", 1)), raft.ErrUnknownPeer) },
		waitFor, 5*time.Millisecond, "refused again")
	b.SetPeers([]raftwire.Server{{ID: "a"}, {ID: "b"}})
	sendUntilReceived(t, a, b)
}

// sendUntilReceived sends from a to b, as Raft retransmits, until one
// message arrives: a may have to reconnect, or wait out a refusal.
func sendUntilReceived(t *testing.T, a, b *tcp.Transport) {
	t.Helper()
	deadline := time.After(waitFor)
	for i := uint64(0); ; i++ {
		_ = a.Send(b.LocalAddr(), appendMsg("a", "b", i))
		select {
		case m := <-b.Inbound():
			require.Equal(t, "a", m.From)
			return
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("no message got through")
		}
	}
}

func TestOversizeFrame(t *testing.T) {
	small := func(c *tcp.Config) { c.MaxFrameSize = 4096 }
	a := newTransport(t, "a", small)
	b := newTransport(t, "b", small)

	big := appendMsg("a", "b", 1)
	big.AppendEntries.Entries[0].Data = make([]byte, 8192)
	err := a.Send(b.LocalAddr(), big)
	require.ErrorIs(t, err, tcp.ErrFrameTooLarge)
	require.ErrorContains(t, err, "max 4096")
	require.Equal(t, uint64(1), a.Stats().TooLarge)

	// A peer announcing a frame above the limit is disconnected.
	c := rawConn(t, b.LocalAddr(), "a")
	require.NoError(t, binary.Write(c, binary.BigEndian, uint32(1<<30)))
	requireClosedByPeer(t, c)
	require.Eventually(t, func() bool { return b.Stats().TooLarge == 1 }, waitFor, time.Millisecond)

	// The limit is inclusive: a message of exactly MaxFrameSize bytes
	// passes, one byte more does not.
	exact := appendMsg("a", "b", 2)
	for exact.Size() < 4096 {
		exact.AppendEntries.Entries[0].Data = append(exact.AppendEntries.Entries[0].Data, 'x')
	}
	require.Equal(t, 4096, exact.Size())
	require.NoError(t, a.Send(b.LocalAddr(), exact))
	require.Equal(t, exact.AppendEntries.Entries[0].Data, recv(t, b).AppendEntries.Entries[0].Data)
	exact.AppendEntries.Entries[0].Data = append(exact.AppendEntries.Entries[0].Data, 'x')
	require.Equal(t, 4097, exact.Size())
	require.ErrorIs(t, a.Send(b.LocalAddr(), exact), tcp.ErrFrameTooLarge)
}

// rawConn opens a connection to addr and says hello as id.
func rawConn(t *testing.T, addr, id string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	hello := append([]byte("DWRAFT1\n"), byte(len(id)>>8), byte(len(id)))
	_, err = c.Write(append(hello, id...))
	require.NoError(t, err)
	var ans [1]byte
	_, err = io.ReadFull(c, ans[:])
	require.NoError(t, err)
	require.Equal(t, byte(0), ans[0], "hello accepted")
	return c
}

func requireClosedByPeer(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitFor)))
	_, err := bufio.NewReader(c).ReadByte()
	require.Error(t, err)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "connection was not closed: %v", err)
}

func TestMalformedInputClosesConnection(t *testing.T) {
	b := newTransport(t, "b", nil)
	t.Run("bad hello", func(t *testing.T) {
		c, err := net.Dial("tcp", b.LocalAddr())
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		require.NoError(t, err)
		requireClosedByPeer(t, c)
	})
	t.Run("undecodable frame", func(t *testing.T) {
		c := rawConn(t, b.LocalAddr(), "a")
		_, err := c.Write([]byte{0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff})
		require.NoError(t, err)
		requireClosedByPeer(t, c)
	})
	require.Eventually(t, func() bool { return b.Stats().BadFrames == 2 }, waitFor, time.Millisecond)
	select {
	case m := <-b.Inbound():
		t.Fatalf("delivered %+v", m)
	default:
	}
}

func TestSenderMustMatchHello(t *testing.T) {
	a := newTransport(t, "a", nil)
	b := newTransport(t, "b", nil)
	// a's frames claiming to come from "mallory" are refused.
	require.NoError(t, a.Send(b.LocalAddr(), appendMsg("mallory", "b", 1)))
	require.Eventually(t, func() bool { return b.Stats().BadFrames == 1 }, waitFor, time.Millisecond)
	select {
	case m := <-b.Inbound():
		t.Fatalf("delivered %+v", m)
	default:
	}
}

func TestCloseAndContext(t *testing.T) {
	a := newTransport(t, "a", nil)
	require.NoError(t, a.Close())
	require.ErrorIs(t, a.Send("127.0.0.1:1", appendMsg("a", "b", 1)), raft.ErrClosed)
	require.NoError(t, a.Close(), "closing twice is harmless")

	ctx, cancel := context.WithCancel(context.Background())
	cfg := tcp.DefaultConfig()
	cfg.ID = "b"
	b, err := tcp.New(ctx, cfg)
	require.NoError(t, err)
	cancel()
	select {
	case _, ok := <-b.Inbound():
		require.False(t, ok)
	case <-time.After(waitFor):
		t.Fatal("cancelling the context did not stop the transport")
	}
	require.NoError(t, b.Close())
}

func TestUnreachablePeerDropsAndBacksOff(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now
	a := newTransport(t, "a", func(c *tcp.Config) { c.ReconnectMin, c.ReconnectMax = time.Millisecond, 4*time.Millisecond })
	for i := uint64(0); i < 3; i++ {
		require.NoError(t, a.Send(addr, appendMsg("a", "b", i)))
	}
	require.Eventually(t, func() bool { st := a.Stats(); return st.DialFailures >= 1 && st.Dropped >= 3 }, waitFor, time.Millisecond)
}

func TestConfigValidation(t *testing.T) {
	for _, mod := range []func(*tcp.Config){
		func(c *tcp.Config) { c.ID = "" },
		func(c *tcp.Config) { c.ID = "x"; c.MaxFrameSize = 10 },
		func(c *tcp.Config) { c.ID = "x"; c.SendQueue = 0 },
		func(c *tcp.Config) { c.ID = "x"; c.ReconnectMax = 0 },
		func(c *tcp.Config) { c.ID = "x"; c.ListenAddr = "not an address" },
	} {
		cfg := tcp.DefaultConfig()
		mod(&cfg)
		_, err := tcp.New(context.Background(), cfg)
		require.Error(t, err)
		require.Contains(t, err.Error(), "tcp: ")
	}
}
