package crdt

import (
	"maps"
	"slices"
)

// DefaultGCThreshold is the TombstoneCount above which a merge runs the
// garbage collector automatically (see AutoGC).
const DefaultGCThreshold = 10_000

// GCOptions tells GarbageCollect what the cluster knows. The replica
// engine (runtime/crdt/replica) fills it from membership and acknowledgements.
//
// Pruning protocol (modelled on Akka Distributed Data's removed-node pruning):
//
//  1. A replica X leaves for good (membership says so); its ID is never reused.
//  2. Exactly one surviving replica S (by convention the lowest live
//     ReplicaID, Akka uses the leader) calls GarbageCollect with Self=S and X
//     in Departed, once every update X made has reached S. When Stable is
//     given, types with a causal context check it: X is pruned only when
//     Stable[X] covers every dot of X that S has seen, i.e. every live
//     replica has received all of X's updates S knows of; otherwise pruning X
//     is deferred (GCStats.Deferred) and retried by a later call.
//  3. Pruning folds X's contributions into S so no value changes: a counter
//     adds X's entry to S's entry; a set, map or register moves every element
//     or value carrying a dot of X to a fresh dot of S. X's version-vector
//     entry and cloud dots are dropped, and a pruning marker X→S is recorded.
//     The pruning is itself a delta (TakeDelta returns it) and travels like
//     any other update.
//  4. A state or delta that arrives later still carrying data of X (a stale,
//     pre-pruning state) is cleaned before the merge: with the marker present,
//     X's counter entries, dots and context entries are ignored, so nothing is
//     counted twice and nothing removed comes back. A replica that first
//     learns the marker from a merge cleans its own X data the same way
//     (the value is already carried by S's fresh entries).
//  5. Once every live replica has acknowledged a state containing the marker
//     (the replica engine knows from its acks) and the transport refuses
//     messages sent before that point, the caller passes X in Forget and the
//     marker is dropped. Until then markers count in TombstoneCount.
//
// Concurrent pruning of the same X by two survivors violates step 2; markers
// then resolve to the lowest Into so states still converge, but counter
// contributions may be counted twice.
type GCOptions struct {
	// Self is the replica running the collection; departed replicas'
	// contributions are folded into it.
	Self ReplicaID
	// Departed lists replicas that left for good and whose updates have all
	// reached this replica.
	Departed []ReplicaID
	// Stable is the causally stable frontier: the pointwise minimum (see Min)
	// of the context version vectors every live replica acknowledged. Nil
	// means the caller vouches that the departed replicas are fully delivered.
	Stable VersionVector
	// Forget lists departed replicas whose pruning marker every live replica
	// has acknowledged; their markers are dropped.
	Forget []ReplicaID
}

// GCStats reports what a GarbageCollect call reclaimed.
type GCStats struct {
	// Pruned counts metadata entries of departed replicas removed: counter
	// entries, version-vector entries, cloud dots and element dots moved to
	// the surviving replica.
	Pruned int
	// Forgotten counts pruning markers dropped.
	Forgotten int
	// Deferred counts departed replicas whose pruning waits for stability.
	Deferred int
}

// Reclaimed is the number of metadata entries the collection removed.
func (s GCStats) Reclaimed() int { return s.Pruned + s.Forgotten }

// Add returns the field-wise sum of s and o (records add their fields' stats).
func (s GCStats) Add(o GCStats) GCStats {
	return GCStats{
		Pruned:    s.Pruned + o.Pruned,
		Forgotten: s.Forgotten + o.Forgotten,
		Deferred:  s.Deferred + o.Deferred,
	}
}

// AutoGC makes Merge and MergeDelta run GarbageCollect once TombstoneCount
// passes Threshold. It is shared by pointer, so one policy can serve many
// objects; Options is called on the merging goroutine. A merge that
// collects increments Runs without synchronisation: share one policy only
// among objects merged under one lock (or from one goroutine), and read
// Runs under that lock.
type AutoGC struct {
	// Threshold is the TombstoneCount above which a merge collects;
	// 0 means DefaultGCThreshold.
	Threshold int
	// Options returns the current GC options (membership and stability).
	Options func() GCOptions
	// Runs counts automatic collections (for metrics and tests).
	Runs int
}

// DefaultAutoGC returns a policy with DefaultGCThreshold and the given
// options source.
func DefaultAutoGC(opts func() GCOptions) *AutoGC {
	return &AutoGC{Threshold: DefaultGCThreshold, Options: opts}
}

// due reports whether a collection should run at the given count.
func (a *AutoGC) due(count int) bool {
	if a == nil || a.Options == nil {
		return false
	}
	t := a.Threshold
	if t <= 0 {
		t = DefaultGCThreshold
	}
	return count > t
}

// maybeRun collects when due.
func (a *AutoGC) maybeRun(count int, gc func(GCOptions) GCStats) {
	if a.due(count) {
		a.Runs++
		gc(a.Options())
	}
}

// markers maps each pruned (departed) replica to the survivor that absorbed
// it. Markers merge by union; a conflict resolves to the lowest survivor.
type markers map[ReplicaID]ReplicaID

// adopt merges o into m and returns the replicas newly marked.
func (m *markers) adopt(o markers) []ReplicaID {
	var fresh []ReplicaID
	for x, into := range o {
		cur, ok := (*m)[x]
		if ok && cur <= into {
			continue
		}
		if *m == nil {
			*m = markers{}
		}
		(*m)[x] = into
		if !ok {
			fresh = append(fresh, x)
		}
	}
	return fresh
}

func (m markers) has(r ReplicaID) bool {
	_, ok := m[r]
	return ok
}

func (m markers) clone() markers {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func (m markers) equal(o markers) bool { return maps.Equal(m, o) }

// forget drops the markers named in rs and returns how many it dropped.
func (m markers) forget(rs []ReplicaID) int {
	n := 0
	for _, r := range rs {
		if _, ok := m[r]; ok {
			delete(m, r)
			n++
		}
	}
	return n
}

func (m markers) sortedKeys() []ReplicaID { return slices.Sorted(maps.Keys(m)) }

// After runs gc with the policy's options when count() passes the
// threshold; generated records call it at the end of Merge. A nil policy
// does nothing (and does not call count).
func (a *AutoGC) After(count func() int, gc func(GCOptions) GCStats) {
	if a == nil || a.Options == nil {
		return
	}
	a.maybeRun(count(), gc)
}
