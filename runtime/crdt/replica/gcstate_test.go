package replica

import (
	"slices"
	"strings"
	"sync"

	"github.com/dwsdk/distributed/runtime/crdt"
)

// gcState is a runtime/crdt G-Counter as a State, so engine tests see the
// real pruning: entries folded into the pruner, markers that ignore stale
// entries, and Forget.
type gcState struct {
	mu     sync.Mutex
	id     crdt.ReplicaID
	c      crdt.GCounter
	pruned []string // replica ids handed to Prune, in order
}

var _ Forgetter = (*gcState)(nil)

func newGCState(id string) *gcState { return &gcState{id: crdt.ReplicaID(id)} }

func (s *gcState) inc(n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Inc(s.id, n)
}

func (s *gcState) TakeDelta() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.c.TakeDelta()
	if d == nil {
		return nil, nil
	}
	return d.AppendTo(nil), nil
}

func (s *gcState) MergeDelta(b []byte) error { return s.MergeState(b) }

func (s *gcState) MergeState(b []byte) error {
	var o crdt.GCounter
	dec := crdt.NewDecoder(b, "GCounter", 0)
	o.DecodeFrom(dec)
	if err := dec.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Merge(&o)
	return nil
}

func (s *gcState) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c.AppendTo(nil), nil
}

func (s *gcState) Prune(replicas []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.GarbageCollect(crdt.GCOptions{Self: s.id, Departed: ids(replicas)})
	s.pruned = append(s.pruned, replicas...)
	return nil
}

func (s *gcState) Forget(replicas []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.GarbageCollect(crdt.GCOptions{Self: s.id, Forget: ids(replicas)})
	return nil
}

func ids(rs []string) []crdt.ReplicaID {
	out := make([]crdt.ReplicaID, len(rs))
	for i, r := range rs {
		out[i] = crdt.ReplicaID(r)
	}
	return out
}

func (s *gcState) value() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c.Value()
}

func (s *gcState) markers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c.TombstoneCount()
}

// mentions reports whether the encoded state names replica r anywhere (an
// entry or a marker).
func (s *gcState) mentions(r string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Contains(string(s.c.AppendJSON(nil)), `"`+r+`"`)
}

func (s *gcState) prunedList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pruned)
}
