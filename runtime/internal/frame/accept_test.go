package frame

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// scriptListener answers Accept from a script: an error, or a connection
// when the entry is nil; past the script it reports net.ErrClosed.
type scriptListener struct {
	script []error
	calls  chan int // the number of each Accept call, when not nil
	n      int
}

var errTooManyFiles = errors.New("accept4: too many open files")

func (l *scriptListener) Accept() (net.Conn, error) {
	l.n++
	if l.calls != nil {
		l.calls <- l.n
	}
	if l.script == nil {
		return nil, errTooManyFiles // for ever
	}
	if l.n > len(l.script) {
		return nil, net.ErrClosed
	}
	if err := l.script[l.n-1]; err != nil {
		return nil, err
	}
	c, peer := net.Pipe()
	peer.Close()
	return c, nil
}

func (l *scriptListener) Close() error   { return nil }
func (l *scriptListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// A lasting accept error must not spin: each retry waits twice as long as
// the one before, up to a second, and a success starts over.
func TestAcceptBacksOffOnErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	var waits []time.Duration
	saved := acceptWait
	acceptWait = func(_ context.Context, d time.Duration) { waits = append(waits, d) }
	defer func() { acceptWait = saved }()

	script := make([]error, 0, 16)
	for range 10 {
		script = append(script, errTooManyFiles)
	}
	script = append(script, nil, errTooManyFiles, errTooManyFiles)
	var conns ConnSet
	var wg sync.WaitGroup
	served := 0
	Accept(context.Background(), &scriptListener{script: script}, &conns, &wg, slog.New(slog.DiscardHandler), "test",
		func(net.Conn) { served++ })
	wg.Wait()
	require.Equal(t, 1, served)
	ms := time.Millisecond
	require.Equal(t, []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second,
		5 * ms, 10 * ms}, waits)
}

// Ending ctx ends a pause: a transport that shuts down while its listener
// fails does not wait out the backoff.
func TestAcceptPauseEndsWithContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	ln := &scriptListener{calls: make(chan int, 64)}
	var conns ConnSet
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		Accept(ctx, ln, &conns, &wg, slog.New(slog.DiscardHandler), "test", func(net.Conn) {})
	}()
	for n := range ln.calls {
		if n == 8 { // now pausing 640 ms, then 1 s each time
			break
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still running 10 s after its context ended")
	}
}
