package main

import (
	"sync"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/tcp"
)

// raftFaults wraps the Raft TCP transport for fault injection: while the
// node is severed, messages to and from it are dropped.
type raftFaults struct {
	*joinableTransport
	f    *faults
	in   chan *raftwire.Message
	stop chan struct{}
	once sync.Once
}

var (
	_ raft.Transport  = (*raftFaults)(nil)
	_ raft.PeerFilter = (*raftFaults)(nil)
)

func newRaftFaults(t *joinableTransport, f *faults) *raftFaults {
	r := &raftFaults{joinableTransport: t, f: f, in: make(chan *raftwire.Message, 4096), stop: make(chan struct{})}
	go func() {
		defer close(r.in)
		for m := range t.Inbound() {
			if f.severed.Load() {
				continue
			}
			select {
			case r.in <- m:
			case <-r.stop:
				return
			}
		}
	}()
	return r
}

// Close stops the forwarding goroutine and the TCP transport.
func (r *raftFaults) Close() error {
	r.once.Do(func() { close(r.stop) })
	return r.joinableTransport.Close()
}

func (r *raftFaults) Send(addr string, m *raftwire.Message) error {
	if r.f.severed.Load() {
		return nil
	}
	return r.joinableTransport.Send(addr, m)
}

func (r *raftFaults) Inbound() <-chan *raftwire.Message { return r.in }

// joinableTransport is the Raft TCP transport for a node that may join an
// existing cluster: until the node has a configuration, raft hands the
// transport an empty peer set, which would refuse the leader that is about
// to add it; an empty set is therefore not applied (every server stays
// accepted until the first real configuration arrives).
type joinableTransport struct {
	*tcp.Transport
}

func (t *joinableTransport) SetPeers(servers []raftwire.Server) {
	if len(servers) > 0 {
		t.Transport.SetPeers(servers)
	}
}
