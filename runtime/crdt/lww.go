package crdt

import "cmp"

// LWWRegister is a last-writer-wins register ordered by hybrid logical clock
// timestamps; equal timestamps are ordered by the writer's ReplicaID. A
// replica's Clock never issues the same timestamp twice, but a replica
// restarted with its wall clock stepped back, or a caller of Set with its
// own timestamps, can write two values under one (timestamp, writer): the
// larger value wins then (for strings, numbers and bools; other T keep the
// write merged into), so replicas agree whatever order they merge in.
// Deltas are the register itself and need no causal delivery.
//
// The zero value is an unset register. Not safe for concurrent use.
type LWWRegister[T comparable] struct {
	val    T
	ts     Timestamp
	writer ReplicaID
	delta  bool
}

// Set writes v at timestamp ts on behalf of replica r and returns the delta.
// A write that does not win over the current one (older, or with the same
// timestamp and writer and a value not larger) changes nothing, and its delta is the current
// write: shipping the losing value under the winner's timestamp and writer
// would make a peer that merged only that delta keep it for ever.
func (l *LWWRegister[T]) Set(r ReplicaID, ts Timestamp, v T) *LWWRegister[T] {
	d := &LWWRegister[T]{val: v, ts: ts, writer: r}
	if !d.newer(l) {
		return l.Clone()
	}
	l.val, l.ts, l.writer = v, ts, r
	l.delta = true
	return d
}

// SetNow writes v with the clock's next timestamp, later than the
// register's current write: the clock adopts that write's timestamp first
// (Clock.Update), so a write made after reading a value from a replica
// whose clock runs ahead still wins over it. A current timestamp more than
// the clock's MaxOffset ahead is not adopted (the clock refuses it), and
// then the write loses to it.
func (l *LWWRegister[T]) SetNow(r ReplicaID, c *Clock, v T) *LWWRegister[T] {
	ts := c.Now()
	if ts <= l.ts {
		if later, err := c.Update(l.ts); err == nil {
			ts = later
		}
	}
	return l.Set(r, ts, v)
}

// newer reports whether l's write wins over o's.
func (l *LWWRegister[T]) newer(o *LWWRegister[T]) bool {
	if l.ts != o.ts {
		return l.ts > o.ts
	}
	if l.writer != o.writer {
		return l.writer > o.writer
	}
	return compareValues(l.val, o.val) > 0
}

// compareValues orders the values of the element types crdtgen supports
// (and Go's other ordered types), so two writes under one (timestamp,
// writer) resolve the same way on every replica. Other types compare equal.
func compareValues[T comparable](a, b T) int {
	switch x := any(a).(type) {
	case string:
		return cmp.Compare(x, any(b).(string))
	case int64:
		return cmp.Compare(x, any(b).(int64))
	case uint64:
		return cmp.Compare(x, any(b).(uint64))
	case bool:
		return cmp.Compare(boolInt(x), boolInt(any(b).(bool)))
	case int:
		return cmp.Compare(x, any(b).(int))
	case int32:
		return cmp.Compare(x, any(b).(int32))
	case uint32:
		return cmp.Compare(x, any(b).(uint32))
	case float64:
		return cmp.Compare(x, any(b).(float64))
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Get returns the value (the zero T when unset).
func (l *LWWRegister[T]) Get() T { return l.val }

// Timestamp returns the winning write's timestamp and writer.
func (l *LWWRegister[T]) Timestamp() (Timestamp, ReplicaID) { return l.ts, l.writer }

// IsZero reports whether the register was never written.
func (l *LWWRegister[T]) IsZero() bool { return l.ts == 0 && l.writer == "" }

// Merge keeps the later write.
func (l *LWWRegister[T]) Merge(o *LWWRegister[T]) {
	if o.newer(l) {
		l.val, l.ts, l.writer = o.val, o.ts, o.writer
	}
}

// MergeDelta joins a delta; a delta is a state, so this is Merge.
func (l *LWWRegister[T]) MergeDelta(d *LWWRegister[T]) { l.Merge(d) }

// TakeDelta returns the register when a local write changed it since the
// last call, else nil.
func (l *LWWRegister[T]) TakeDelta() *LWWRegister[T] {
	if !l.delta {
		return nil
	}
	l.delta = false
	return l.Clone()
}

// Equal reports whether both registers hold the same write.
func (l *LWWRegister[T]) Equal(o *LWWRegister[T]) bool {
	return l.ts == o.ts && l.writer == o.writer && l.val == o.val
}

// Clone returns a copy without the pending-delta flag.
func (l *LWWRegister[T]) Clone() *LWWRegister[T] {
	return &LWWRegister[T]{val: l.val, ts: l.ts, writer: l.writer}
}

// TombstoneCount is always 0: a register keeps no removal metadata.
func (l *LWWRegister[T]) TombstoneCount() int { return 0 }

// GarbageCollect has nothing to reclaim; a departed writer's ID stays as the
// tie-breaker of its last write.
func (l *LWWRegister[T]) GarbageCollect(GCOptions) GCStats { return GCStats{} }
