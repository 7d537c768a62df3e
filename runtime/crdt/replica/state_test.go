package replica

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// counterState is a grow-only counter per replica (a G-Counter), encoded as
// text, that checks causal delivery: a delta "r from to" may only be merged
// into a state that already holds r's count up to from. Merging one across a
// gap is recorded as a violation.
type counterState struct {
	mu         sync.Mutex
	id         string
	counts     map[string]uint64
	taken      uint64
	violations []string
	pruned     []string
	prunedAt   map[string]uint64       // count of each pruned replica when it was pruned
	refuse     func(delta []byte) bool // when set and true, MergeDelta fails
}

func newCounterState(id string) *counterState {
	return &counterState{id: id, counts: map[string]uint64{}}
}

func (s *counterState) Inc(n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[s.id] += n
}

// poke changes the state without producing a delta (a divergence).
func (s *counterState) poke(replica string, n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[replica] = n
}

func (s *counterState) snapshotMap() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

func (s *counterState) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

func (s *counterState) Pruned() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pruned)
}

func (s *counterState) TakeDelta() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts[s.id]
	if c == s.taken {
		return nil, nil
	}
	d := fmt.Sprintf("%s %d %d", s.id, s.taken, c)
	s.taken = c
	return []byte(d), nil
}

func (s *counterState) MergeDelta(delta []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse != nil && s.refuse(delta) {
		return errors.New("refused")
	}
	f := strings.Fields(string(delta))
	if len(f) != 3 {
		return fmt.Errorf("counter delta %q: want 3 fields", delta)
	}
	from, err1 := strconv.ParseUint(f[1], 10, 64)
	to, err2 := strconv.ParseUint(f[2], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("counter delta %q: %w", delta, err)
	}
	if s.counts[f[0]] < from {
		s.violations = append(s.violations, fmt.Sprintf("%s: delta %s merged at %d", s.id, delta, s.counts[f[0]]))
	}
	s.counts[f[0]] = max(s.counts[f[0]], to)
	return nil
}

func (s *counterState) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(s.counts)) {
		fmt.Fprintf(&b, "%s=%d;", k, s.counts[k])
	}
	return []byte(b.String()), nil
}

func (s *counterState) MergeState(state []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kv := range strings.Split(strings.TrimSuffix(string(state), ";"), ";") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("counter state: bad entry %q", kv)
		}
		s.counts[k] = max(s.counts[k], n)
	}
	return nil
}

func (s *counterState) Prune(replicas []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruned = append(s.pruned, replicas...)
	if s.prunedAt == nil {
		s.prunedAt = map[string]uint64{}
	}
	for _, r := range replicas {
		s.prunedAt[r] = s.counts[r]
	}
	return nil
}
