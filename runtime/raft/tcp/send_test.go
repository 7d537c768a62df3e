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
	newT := func(id string) *Transport {
		cfg := DefaultConfig()
		cfg.ID = id
		tr, err := New(context.Background(), cfg)
		require.NoError(t, err)
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	a, b := newT("a"), newT("b")
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
