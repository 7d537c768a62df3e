package stream_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/crdt/replica/stream"
	"github.com/dwsdk/distributed/runtime/internal/frame"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// logBuf collects log output safely from many goroutines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// directory maps node names to stream addresses, as SWIM metadata does.
type directory struct {
	mu    sync.Mutex
	addrs map[string]string
}

func (d *directory) set(name, addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs[name] = addr
}

func (d *directory) resolve(name string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.addrs[name]
	if !ok {
		return "", fmt.Errorf("no address for %q", name)
	}
	return a, nil
}

type fixture struct {
	t   *testing.T
	dir *directory
	log *logBuf
}

func newFixture(t *testing.T) *fixture {
	return &fixture{t: t, dir: &directory{addrs: map[string]string{}}, log: &logBuf{}}
}

// start runs a transport for name, registered in the directory, closed at
// the end of the test.
func (f *fixture) start(name string, tune func(*stream.Config)) *stream.Transport {
	f.t.Helper()
	cfg := stream.Config{
		ID: name, ListenAddr: "127.0.0.1:0", Resolve: f.dir.resolve,
		Logger: slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tune != nil {
		tune(&cfg)
	}
	tr, err := stream.New(context.Background(), cfg)
	require.NoError(f.t, err)
	f.dir.set(name, tr.Addr())
	f.t.Cleanup(func() { tr.Close() })
	return tr
}

func env(from string, seq uint64, data []byte) *replicawire.Envelope {
	return &replicawire.Envelope{From: from, Epoch: 1, Deltas: &replicawire.Deltas{Items: []replicawire.Delta{{Seq: seq, Data: data}}}}
}

// recv waits for the next envelope on tr.
func recv(t *testing.T, tr *stream.Transport) *replicawire.Envelope {
	t.Helper()
	select {
	case e := <-tr.Inbound():
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no envelope arrived")
		return nil
	}
}

func TestFramesFlowBothWays(t *testing.T) {
	f := newFixture(t)
	a, b := f.start("a", nil), f.start("b", nil)
	for i := range 50 {
		require.NoError(t, a.Send("b", env("a", uint64(i+1), []byte("delta"))))
	}
	for i := range 50 {
		got := recv(t, b)
		require.Equal(t, "a", got.From)
		require.Equal(t, uint64(i+1), got.Deltas.Items[0].Seq, "frames arrive in order")
	}
	big := &replicawire.Envelope{From: "b", Epoch: 2, To: "a", State: &replicawire.State{Seq: 7, Data: bytes.Repeat([]byte{7}, 3<<20)}}
	require.NoError(t, b.Send("a", big))
	got := recv(t, a)
	require.Equal(t, big.State.Data, got.State.Data, "a 3 MiB full state crosses in one frame")
	require.Equal(t, uint64(1), a.Stats().Dials, "one persistent connection per peer")
	require.Equal(t, uint64(50), a.Stats().FramesSent)
	require.Equal(t, uint64(50), b.Stats().FramesReceived)
}

// A frame larger than the write buffer, sent after the connection was idle
// longer than WriteTimeout, once ran into the deadline armed for the last
// flush: the write failed at once, the frame was lost and the connection
// redialled. The idle spell is the test's input, not a synchronisation.
func TestLargeFrameAfterIdleConnection(t *testing.T) {
	f := newFixture(t)
	a := f.start("a", func(c *stream.Config) { c.WriteTimeout = 200 * time.Millisecond })
	b := f.start("b", nil)
	state := func(seq uint64) *replicawire.Envelope {
		return &replicawire.Envelope{From: "a", Epoch: 1, State: &replicawire.State{Seq: seq, Data: bytes.Repeat([]byte{7}, 256<<10)}}
	}
	require.NoError(t, a.Send("b", state(1)))
	require.Equal(t, uint64(1), recv(t, b).State.Seq)
	time.Sleep(500 * time.Millisecond) // idle past the last flush's deadline
	require.NoError(t, a.Send("b", state(2)))
	require.Equal(t, uint64(2), recv(t, b).State.Seq)
	require.Equal(t, uint64(1), a.Stats().Dials, "the idle connection was dropped")
}

func TestPeerRestartReconnects(t *testing.T) {
	f := newFixture(t)
	a := f.start("a", nil)
	b := f.start("b", nil)
	require.NoError(t, a.Send("b", env("a", 1, nil)))
	recv(t, b)
	require.NoError(t, b.Close())

	b2 := f.start("b", nil) // restarted, on another port
	// Like the engine, keep resending until the new incarnation hears us:
	// the first frames may go to the old, dead connection.
	deadline := time.Now().Add(10 * time.Second)
	for seq := uint64(2); ; seq++ {
		require.True(t, time.Now().Before(deadline), "no frame reached the restarted peer")
		require.NoError(t, a.Send("b", env("a", seq, nil)))
		select {
		case got := <-b2.Inbound():
			require.Equal(t, "a", got.From)
			require.GreaterOrEqual(t, a.Stats().Dials, uint64(2), "a reconnected")
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// rawConn opens a connection to tr and says hello as name.
func rawConn(t *testing.T, tr *stream.Transport, name string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", tr.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = c.Write(frame.AppendHello(nil, "DWREPL1\n", name))
	require.NoError(t, err)
	var ans [1]byte
	_, err = c.Read(ans[:])
	require.NoError(t, err)
	require.Equal(t, frame.HelloAccepted, ans[0])
	return c
}

// requireClosed waits until the server closes c.
func requireClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	_, err := c.Read(b[:])
	require.Error(t, err)
	require.NotContains(t, err.Error(), "timeout", "the connection was not closed")
}

func TestBadFrameClosesOnlyThatConnection(t *testing.T) {
	tests := []struct {
		name, peer string
		frame      func() []byte
		logs       string
	}{
		{"oversized", "mallory", func() []byte { return binary.BigEndian.AppendUint32(nil, 4096+1) }, "exceeds max frame size"},
		{"undecodable", "mallory", func() []byte { return []byte{0, 0, 0, 3, 0xff, 0xff, 0xff} }, "decode envelope"},
		{"another sender", "mallory", func() []byte {
			b, start := frame.Begin(nil)
			b, _ = env("alice", 1, nil).AppendBinary(b)
			b, _ = frame.Finish(b, start, 4096)
			return b
		}, `claims sender`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.start("a", nil)
			b := f.start("b", func(c *stream.Config) { c.MaxFrameSize = 4096 })
			require.NoError(t, a.Send("b", env("a", 1, nil)))
			recv(t, b)

			evil := rawConn(t, b, tt.peer)
			_, err := evil.Write(tt.frame())
			require.NoError(t, err)
			requireClosed(t, evil)
			logs := f.log.String()
			require.Contains(t, logs, "peer="+tt.peer)
			require.Contains(t, logs, tt.logs)
			require.Equal(t, uint64(1), b.Stats().BadFrames+b.Stats().TooLarge)

			// a's connection to b is untouched.
			require.NoError(t, a.Send("b", env("a", 2, nil)))
			require.Equal(t, uint64(2), recv(t, b).Deltas.Items[0].Seq)
			require.Equal(t, uint64(1), a.Stats().Dials)
		})
	}
}

func TestBadHelloIsRefused(t *testing.T) {
	f := newFixture(t)
	b := f.start("b", nil)
	c, err := net.Dial("tcp", b.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	require.NoError(t, err)
	requireClosed(t, c)
	require.Contains(t, f.log.String(), "bad hello")
}

func TestSendTooLarge(t *testing.T) {
	f := newFixture(t)
	a := f.start("a", func(c *stream.Config) { c.MaxFrameSize = 1024 })
	err := a.Send("b", env("a", 1, make([]byte, 2000)))
	require.ErrorIs(t, err, stream.ErrFrameTooLarge)
	require.Equal(t, uint64(1), a.Stats().TooLarge)
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	resolving := make(chan struct{}, 1)
	a := f.start("a", func(c *stream.Config) {
		c.SendQueue = 2
		c.Resolve = func(string) (string, error) {
			resolving <- struct{}{}
			<-release // the writer is stuck connecting
			return "", fmt.Errorf("unreachable")
		}
	})
	require.NoError(t, a.Send("slow", env("a", 1, nil)))
	<-resolving // the writer holds frame 1; the queue is empty again
	require.NoError(t, a.Send("slow", env("a", 2, nil)))
	require.NoError(t, a.Send("slow", env("a", 3, nil)))
	err := a.Send("slow", env("a", 4, nil))
	require.ErrorIs(t, err, stream.ErrQueueFull)
	require.Equal(t, uint64(1), a.Stats().Dropped)
	close(release)
	require.Eventually(t, func() bool { return a.Stats().Dropped == 4 }, 10*time.Second, time.Millisecond,
		"frames queued for an unreachable peer are dropped and counted")
}

func TestClosed(t *testing.T) {
	f := newFixture(t)
	a := f.start("a", nil)
	require.NoError(t, a.Close())
	require.ErrorIs(t, a.Send("b", env("a", 1, nil)), stream.ErrClosed)
	_, open := <-a.Inbound()
	require.False(t, open)
}

func TestConfigErrors(t *testing.T) {
	_, err := stream.New(context.Background(), stream.Config{Resolve: func(string) (string, error) { return "", nil }})
	require.ErrorContains(t, err, "ID is empty")
	_, err = stream.New(context.Background(), stream.Config{ID: "a"})
	require.ErrorContains(t, err, "Resolve is nil")
	_, err = stream.New(context.Background(), stream.Config{ID: "a", Resolve: func(string) (string, error) { return "", nil }, ListenAddr: "bad::addr::"})
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "stream:"))
}

// TestIdleWritersStop: a node sends to peers that then go away for good
// (they left; membership churns through new names). Their writer
// goroutines, queues and connections must not stay until Close: a
// long-running node would collect one per peer that ever left. A writer
// idle for IdleTimeout stops, and the next Send to that peer starts a new
// one.
func TestIdleWritersStop(t *testing.T) {
	f := newFixture(t)
	a := f.start("a", idleQuickly)
	before := goleak.IgnoreCurrent()
	var peers []*stream.Transport
	for i := range 8 {
		name := fmt.Sprintf("p%d", i)
		p := f.start(name, nil)
		require.NoError(t, a.Send(name, env("a", 1, nil)))
		recv(t, p)
		peers = append(peers, p)
	}
	for _, p := range peers {
		require.NoError(t, p.Close())
	}
	goleak.VerifyNone(t, before) // waits for the idle writers to stop

	p := f.start("p0", nil) // back under the same name
	require.NoError(t, a.Send("p0", env("a", 2, nil)))
	require.Equal(t, uint64(2), recv(t, p).Deltas.Items[0].Seq)
}

func idleQuickly(c *stream.Config) { c.IdleTimeout = 20 * time.Millisecond }
