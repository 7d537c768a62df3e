package tcp

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TestSendToKnownPeerTakesNoLock holds the transport's mutex and sends to a
// peer already connected to: Send must not need the lock, as Raft's
// heartbeats go through it and are meant to take none.
func TestSendToKnownPeerTakesNoLock(t *testing.T) {
	a, b := newTestTransport(t, "a"), newTestTransport(t, "b")
	hb := func() *raftwire.Message {
		return &raftwire.Message{From: "a", To: "b", AppendEntries: &raftwire.AppendEntries{Term: 1, LeaderID: "a", Heartbeat: true}}
	}
	require.NoError(t, a.Send(b.LocalAddr(), hb())) // creates the peer

	a.mu.Lock()
	done := make(chan error, 1)
	go func() { done <- a.Send(b.LocalAddr(), hb()) }()
	select {
	case err := <-done:
		a.mu.Unlock()
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		a.mu.Unlock()
		<-done
		t.Fatal("Send to a known peer waits for the transport's mutex")
	}
}

// SetPeers stops the writers towards addresses no server has any more: a
// cluster whose members come and go must not keep an idle goroutine and
// queue per address it ever sent to. A server added back gets a new writer.
func TestSetPeersStopsWritersOfRemovedServers(t *testing.T) {
	a, b, c := newTestTransport(t, "a"), newTestTransport(t, "b"), newTestTransport(t, "c")
	msg := func(to string) *raftwire.Message {
		return &raftwire.Message{From: "a", To: to, AppendEntries: &raftwire.AppendEntries{Term: 1, LeaderID: "a", Heartbeat: true}}
	}
	srv := func(tr *Transport) raftwire.Server {
		return raftwire.Server{ID: tr.cfg.ID, Address: tr.LocalAddr(), Suffrage: raftwire.Voter}
	}
	received := func(tr *Transport) {
		select {
		case m := <-tr.Inbound():
			require.Equal(t, "a", m.From)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s received nothing", tr.cfg.ID)
		}
	}
	a.SetPeers([]raftwire.Server{srv(a), srv(b), srv(c)})
	require.NoError(t, a.Send(b.LocalAddr(), msg("b")))
	require.NoError(t, a.Send(c.LocalAddr(), msg("c")))
	received(b)
	received(c)
	pb := (*a.out.Load())[b.LocalAddr()]
	require.NotNil(t, pb)

	a.SetPeers([]raftwire.Server{srv(a), srv(c)}) // b removed
	require.NotContains(t, *a.out.Load(), b.LocalAddr())
	require.Contains(t, *a.out.Load(), c.LocalAddr(), "a member's writer stays")
	require.Error(t, pb.ctx.Err(), "the removed server's writer is stopped")

	a.SetPeers([]raftwire.Server{srv(a), srv(b), srv(c)}) // b back
	require.NoError(t, a.Send(b.LocalAddr(), msg("b")))
	received(b)
	require.NotSame(t, pb, (*a.out.Load())[b.LocalAddr()])
}

// newTestTransport starts a transport with the default configuration on
// loopback, closed when the test ends.
func newTestTransport(t *testing.T, id string) *Transport {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ID = id
	tr, err := New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return tr
}
