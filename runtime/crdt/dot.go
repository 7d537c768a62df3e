package crdt

import "cmp"

// ReplicaID names a replica: the node (or process) that originates updates.
// Every replica that mutates a CRDT needs an ID unique in the cluster; it is
// never reused after the replica leaves (pruning relies on that).
type ReplicaID string

// Dot is one event of one replica: the Counter-th update Replica made.
// Dots identify additions in OR-Sets, OR-Maps and MV-Registers.
type Dot struct {
	Replica ReplicaID
	Counter uint64
}

// Compare orders dots by replica, then counter.
func (d Dot) Compare(o Dot) int {
	if c := cmp.Compare(d.Replica, o.Replica); c != 0 {
		return c
	}
	return cmp.Compare(d.Counter, o.Counter)
}
