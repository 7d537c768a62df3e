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
	*tcp.Transport
	f    *faults
	in   chan *raftwire.Message
	stop chan struct{}
	once sync.Once
}

var (
	_ raft.Transport  = (*raftFaults)(nil)
	_ raft.PeerFilter = (*raftFaults)(nil)
)

func newRaftFaults(t *tcp.Transport, f *faults) *raftFaults {
	r := &raftFaults{Transport: t, f: f, in: make(chan *raftwire.Message, 4096), stop: make(chan struct{})}
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
	return r.Transport.Close()
}

func (r *raftFaults) Send(addr string, m *raftwire.Message) error {
	if r.f.severed.Load() {
		return nil
	}
	return r.Transport.Send(addr, m)
}

func (r *raftFaults) Inbound() <-chan *raftwire.Message { return r.in }
