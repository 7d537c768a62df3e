package replica

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// TestRunConverges drives three engines with Run on an asynchronous lossy
// network, updates with Notify, waits for convergence and stops them; the
// package's goleak check proves every goroutine ended.
func TestRunConverges(t *testing.T) {
	net := NewAsyncMemNetwork(11, Faults{Loss: 0.1, Duplicate: 0.1, BroadcastLimit: 32})
	ids := []string{"a", "b", "c"}
	states := map[string]*counterState{}
	engines := map[string]*Engine{}
	for i, id := range ids {
		states[id] = newCounterState(id)
		e, err := New(Config{ID: id, Epoch: uint64(i + 1), State: states[id], Transport: net.Transport(id),
			Logger: quietLogger(), TickInterval: time.Millisecond, AntiEntropyTicks: 20})
		require.NoError(t, err)
		for _, o := range ids {
			e.AddPeer(o)
		}
		engines[id] = e
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, e := range engines {
		wg.Go(func() { require.NoError(t, e.Run(ctx)) })
	}
	defer func() { cancel(); wg.Wait() }()

	for i := range 30 {
		id := ids[i%3]
		states[id].Inc(1)
		engines[id].Notify()
	}
	want := fmt.Sprint(map[string]uint64{"a": 10, "b": 10, "c": 10})
	require.Eventually(t, func() bool {
		for _, id := range ids {
			if fmt.Sprint(states[id].snapshotMap()) != want {
				return false
			}
		}
		return true
	}, 20*time.Second, 5*time.Millisecond)
	for _, id := range ids {
		require.Empty(t, states[id].Violations())
	}
	require.ErrorIs(t, engines["a"].Run(ctx), ErrClosed)
}

// FuzzHandle feeds arbitrary envelopes to an engine: it must never panic,
// and whatever it accepts must leave the state without causal violations.
func FuzzHandle(f *testing.F) {
	f.Add("a", uint64(1), "b", uint64(1), uint64(1), []byte("a 0 1"), uint64(0), false, []byte("a=1;"), []byte{1, 2}, true, "")
	f.Add("", uint64(0), "", uint64(0), uint64(0), []byte(nil), uint64(0), false, []byte(nil), []byte(nil), false, "")
	f.Add("a", uint64(9), "b", uint64(2), uint64(3), []byte("garbage"), uint64(99), true, []byte("x=;"), []byte("sum"), false, "c")
	f.Add("a", uint64(1), "b", uint64(1), uint64(1), []byte("a 0 1"), uint64(0), false, []byte("a=1;"), []byte{1, 2}, false, "b")
	f.Fuzz(func(t *testing.T, from string, epoch uint64, to string, toEpoch, seq uint64, delta []byte, ack uint64, missing bool, state, sum []byte, pull bool, pruned string) {
		net := NewMemNetwork(1, Faults{})
		net.Transport(from)
		st := newCounterState("b")
		e, err := New(Config{ID: "b", Epoch: 1, State: st, Transport: net.Transport("b"), Logger: quietLogger()})
		require.NoError(t, err)
		env := &replicawire.Envelope{From: from, Epoch: epoch, To: to, ToEpoch: toEpoch, Pull: pull,
			Deltas: &replicawire.Deltas{Items: []replicawire.Delta{{Seq: seq, Data: delta}, {Seq: seq + 1, Data: delta}}},
			Ack:    &replicawire.Ack{Seq: ack, Missing: missing},
			State:  &replicawire.State{Seq: seq, Data: state},
			Digest: &replicawire.Digest{Seq: seq, Sum: sum, Offer: missing},
			// announcements: "b" is the engine's own replica id (fencing)
			Pruned: []string{pruned}, Forget: []string{pruned}, Refused: []string{pruned},
		}
		_ = e.Handle(env)
		_ = e.Handle(env)
		e.Tick()
	})
}

// FuzzDecodeHandle feeds arbitrary bytes through the generated decoder to
// an engine: bad input is refused with an error, never a panic.
func FuzzDecodeHandle(f *testing.F) {
	good, err := (&replicawire.Envelope{From: "a", Epoch: 1, To: "b", ToEpoch: 1,
		Deltas: &replicawire.Deltas{Items: []replicawire.Delta{{Seq: 1, Data: []byte("a 0 1")}}},
		Ack:    &replicawire.Ack{Seq: 0, Missing: true}}).MarshalBinary()
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x32, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		env := new(replicawire.Envelope)
		if err := env.UnmarshalBinary(p); err != nil {
			require.ErrorContains(t, err, "Envelope")
			return
		}
		net := NewMemNetwork(1, Faults{})
		net.Transport(env.From)
		e, err := New(Config{ID: "b", Epoch: 1, State: newCounterState("b"), Transport: net.Transport("b"), Logger: quietLogger()})
		require.NoError(t, err)
		_ = e.Handle(env)
		e.Tick()
	})
}

// TestSync: Sync returns only once a peer acknowledged the local changes,
// and at once without active peers.
func TestSync(t *testing.T) {
	net := NewAsyncMemNetwork(3, Faults{})
	sa, sb := newCounterState("a"), newCounterState("b")
	a, err := New(Config{ID: "a", Epoch: 1, State: sa, Transport: net.Transport("a"), Logger: quietLogger(), TickInterval: time.Hour})
	require.NoError(t, err)
	b, err := New(Config{ID: "b", Epoch: 2, State: sb, Transport: net.Transport("b"), Logger: quietLogger(), TickInterval: time.Hour})
	require.NoError(t, err)

	sa.Inc(1)
	require.NoError(t, a.Sync(context.Background()), "no active peer: nothing to wait for")

	a.AddPeer("b")
	b.AddPeer("a")
	sa.Inc(2)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	require.ErrorIs(t, a.Sync(ctx), context.DeadlineExceeded, "b is not running: nothing can acknowledge")
	cancel()

	rctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, e := range []*Engine{a, b} {
		wg.Go(func() { require.NoError(t, e.Run(rctx)) })
	}
	defer func() { stop(); wg.Wait() }()
	sa.Inc(4)
	require.NoError(t, a.Sync(context.Background()))
	require.Equal(t, uint64(7), sb.snapshotMap()["a"], "Sync returned before the peer had the change")
}

// TestSyncReturnsWhenFenced: a Sync waiting for an acknowledgement returns
// ErrFenced as soon as the node learns that its replica id was pruned; no
// acknowledgement can come any more (a fenced engine sends and applies
// nothing), so it once waited until its context ended, for ever without a
// deadline.
func TestSyncReturnsWhenFenced(t *testing.T) {
	net := NewMemNetwork(3, Faults{})
	sa := newCounterState("a")
	a, err := New(Config{ID: "a", Replica: "a@1", Epoch: 1, State: sa, Transport: net.Transport("a"), Logger: quietLogger()})
	require.NoError(t, err)
	net.Transport("b")
	a.AddPeer("b")
	sa.Inc(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// what a waiting Sync selects on: fencing must close it
	a.mu.Lock()
	waiting := a.ackCh
	a.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- a.Sync(ctx) }()
	require.NoError(t, a.Handle(&replicawire.Envelope{From: "b", Epoch: 2, Replica: "b@2", To: "a", Pruned: []string{"a@1"}}))
	require.True(t, a.Fenced())
	select {
	case <-waiting:
	default:
		t.Fatal("fencing did not wake the Sync callers")
	}
	require.ErrorIs(t, <-done, ErrFenced)
}

// chanTransport delivers whatever is put on its channel.
type chanTransport chan *replicawire.Envelope

func (c chanTransport) Send(string, *replicawire.Envelope) error { return nil }
func (c chanTransport) Inbound() <-chan *replicawire.Envelope    { return c }

// TestRunSurvivesNilEnvelope: a transport that hands Run a nil envelope
// gets it refused and counted; Run once logged the refusal by reading the
// nil envelope's sender and panicked.
func TestRunSurvivesNilEnvelope(t *testing.T) {
	in := make(chanTransport, 1)
	e, err := New(Config{ID: "a", Epoch: 1, State: newCounterState("a"), Transport: in, Logger: quietLogger(), TickInterval: time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	in <- nil
	close(in) // Run drains the nil envelope before it sees the close
	require.Eventually(t, func() bool { return e.Stats().InvalidMessages == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}
