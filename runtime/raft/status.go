package raft

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// PeerStatus is the leader's view of one other server.
type PeerStatus struct {
	ID       string
	Address  string
	Suffrage raftwire.Suffrage
	// Match is the highest index known to be replicated on the server.
	Match uint64
	// LastContact is how long ago the server last answered.
	LastContact time.Duration
}

// Status is a snapshot of a server's state.
type Status struct {
	ID            string
	Role          Role
	Term          uint64
	Leader        string
	LeaderAddr    string
	CommitIndex   uint64
	AppliedIndex  uint64
	FirstIndex    uint64
	LastIndex     uint64
	SnapshotIndex uint64
	Configuration raftwire.Configuration
	// Peers is filled on the leader only.
	Peers   []PeerStatus
	Metrics Metrics
}

// Status reports the server's state. After Close it reports what the
// atomics hold.
func (n *Node) Status() Status {
	s := Status{ID: n.id, Metrics: n.Metrics()}
	fill := func() {
		s.Role = n.currentRole()
		s.Term = n.term.Load()
		s.Leader, s.LeaderAddr = n.Leader()
		s.CommitIndex = n.commitIdx.Load()
		s.AppliedIndex = n.appliedIdx.Load()
		s.LastIndex = n.log.lastIndex()
	}
	err := n.doCtrl(context.Background(), func() {
		fill()
		s.FirstIndex = n.log.firstIndex()
		s.SnapshotIndex = n.lastSnap.Index
		s.Configuration = cloneConfiguration(n.configs.latest().cfg)
		if s.Role != Leader {
			return
		}
		now := nanotime()
		for _, srv := range s.Configuration.Servers {
			if r := n.replicators[srv.ID]; r != nil {
				s.Peers = append(s.Peers, PeerStatus{
					ID: srv.ID, Address: srv.Address, Suffrage: srv.Suffrage,
					Match: r.match.Load(), LastContact: time.Duration(now - r.lastContact.Load()),
				})
			}
		}
	})
	if err != nil {
		fill()
		s.Role = Shutdown
	}
	return s
}

// counters are the node's event counters, updated atomically.
type counters struct {
	HeartbeatsSent     atomic.Uint64
	HeartbeatsReceived atomic.Uint64
	Elections          atomic.Uint64
	SnapshotsSent      atomic.Uint64
	SnapshotsInstalled atomic.Uint64
	SnapshotsTaken     atomic.Uint64
	Compactions        atomic.Uint64
	StallStepDowns     atomic.Uint64
	Applied            atomic.Uint64
	Retransmits        atomic.Uint64
	MalformedMessages  atomic.Uint64
}

// Metrics are counters a caller can export (cmd/dwnode exports them to
// Prometheus).
type Metrics struct {
	HeartbeatsSent     uint64
	HeartbeatsReceived uint64
	// Elections counts campaigns started (pre-votes included).
	Elections uint64
	// SnapshotsSent counts snapshot streams started to followers.
	SnapshotsSent uint64
	// SnapshotsInstalled counts snapshots received from a leader and
	// restored into the FSM.
	SnapshotsInstalled uint64
	SnapshotsTaken     uint64
	Compactions        uint64
	// StallStepDowns counts leaderships given up because the LogStore
	// stalled.
	StallStepDowns uint64
	Applied        uint64
	// Retransmits counts appends resent after a follower went silent.
	Retransmits uint64
	// MalformedMessages counts inbound messages dropped as impossible
	// from a correct server (see the README's "Known failures avoided").
	MalformedMessages uint64
}

// Metrics returns the counters, read without a lock.
func (n *Node) Metrics() Metrics {
	c := &n.metrics
	return Metrics{
		HeartbeatsSent: c.HeartbeatsSent.Load(), HeartbeatsReceived: c.HeartbeatsReceived.Load(),
		Elections: c.Elections.Load(), SnapshotsSent: c.SnapshotsSent.Load(),
		SnapshotsInstalled: c.SnapshotsInstalled.Load(), SnapshotsTaken: c.SnapshotsTaken.Load(),
		Compactions: c.Compactions.Load(), StallStepDowns: c.StallStepDowns.Load(), Applied: c.Applied.Load(), Retransmits: c.Retransmits.Load(),
		MalformedMessages: c.MalformedMessages.Load(),
	}
}
