package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dwsdk/distributed/runtime/swim"
)

// Pruning of the CRDT replica ids of members that died for good.
//
// Replica ids are bound to an epoch (name@epoch, a new epoch every process
// start), so the id of a process that died never writes again: a restart
// comes back under a new id. The membership loop gives up on a member SWIM
// has reported dead (or already reaped) for -prune-after (default an hour,
// so a node restarted from its disk within the hour keeps every write) and
// hands it to the replica engine's RemoveDeadPeer; the engine prunes the
// replica id on one survivor, only on the majority side of a partition,
// and forgets the pruning markers -prune-marker-ttl after
// every live peer acknowledged them (runtime/crdt/replica/prune.go): the TTL
// covers a node that comes back from a disk written before the pruning,
// whose stale data only a marker cleans. A member that was
// only cut off for longer than -prune-after is fenced when it is heard
// again: it stops and exits with status 1, to be started again under a
// new epoch (what it wrote while cut off and no survivor received is lost).

// deadMember is a member SWIM reported dead, or that dropped out of its
// list without leaving.
type deadMember struct {
	since   time.Time
	removed bool // handed to RemoveDeadPeer
}

// trackDead updates the dead members from SWIM's list and the engine's
// active peers, and gives up on those dead for n.pruneAfter.
func (n *Node) trackDead(dead map[string]*deadMember, ms []memberInfo, activePeers []string, now time.Time) {
	present := map[string]bool{}
	for _, m := range ms {
		present[m.Name] = true
		switch m.State {
		case swim.StateDead:
			if dead[m.Name] == nil {
				dead[m.Name] = &deadMember{since: now}
			}
		default: // alive, suspect (may refute) or left (RemovePeer)
			delete(dead, m.Name)
		}
	}
	for _, p := range activePeers {
		if !present[p] && dead[p] == nil { // reaped before we saw it dead
			dead[p] = &deadMember{since: now}
		}
	}
	for name, d := range dead {
		if d.removed && !present[name] {
			delete(dead, name) // reaped after we gave up on it
		}
		if d.removed || now.Sub(d.since) < n.pruneAfter {
			continue
		}
		d.removed = true
		n.log.Info("dwnode: member dead for the prune delay; pruning its replica id", "member", name, "dead_for", now.Sub(d.since))
		if err := n.engine.RemoveDeadPeer(name); err != nil {
			n.log.Warn("dwnode: prune dead replica", "member", name, "err", err)
		}
	}
}

// onFenced is called by the engine when a peer announces this node's
// replica id pruned: the node leaves and exits with status 1.
func (n *Node) onFenced() {
	n.fenced.Store(true)
	n.log.Error("dwnode: the cluster pruned this node's replica id (it was declared dead); shutting down",
		"replica", n.replica)
	select {
	case n.leaveReq <- struct{}{}:
	default:
	}
}

// tombstones sums the removal metadata (pruning markers, out-of-order
// dots) of every record.
func (n *Node) tombstones() int {
	sum := 0
	for _, k := range n.records.keyed.Keys() {
		if st, err := n.records.keyed.Get(k); err == nil {
			if t, ok := st.(interface{ TombstoneCount() int }); ok {
				sum += t.TombstoneCount()
			}
		}
	}
	return sum
}

// registerPruneMetrics exports the pruning state.
func (n *Node) registerPruneMetrics() {
	stat := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	n.metrics.reg.MustRegister(
		stat("dwnode_replica_departed", "CRDT replica ids gone for good whose pruning is not finished (markers not yet forgotten).",
			func() float64 { return float64(n.engine.Stats().Departed) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "dwnode_replica_pruned_total", Help: "CRDT replica ids this node pruned."},
			func() float64 { return float64(n.engine.Stats().PrunedReplicas) }),
		stat("dwnode_crdt_tombstones", "Removal metadata held by the records: pruning markers and out-of-order dots.",
			func() float64 { return float64(n.tombstones()) }),
		stat("dwnode_replica_fenced", "1 once the cluster pruned this node's replica id.", func() float64 {
			if n.fenced.Load() {
				return 1
			}
			return 0
		}),
	)
}
