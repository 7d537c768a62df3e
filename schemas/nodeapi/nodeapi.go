// Package nodeapi declares the messages of cmd/dwnode, the reference node:
// its HTTP API payloads, its Raft key-value commands and the metadata it
// gossips through SWIM.
//
// This package is a schema: crdtgen reads it and emits the types with their
// JSON and binary codecs into gen/nodeapi. Nothing imports it at run time.
// Field numbers (wire:"N") are part of the wire format: never reuse or
// renumber one; add new fields with new numbers.
package nodeapi

// Error is the body of every 4xx and 5xx answer.
//
//crdt:message
type Error struct {
	Error string `json:"error" wire:"1"`
	// Leader is the HTTP address of the Raft leader, when the request must
	// go there and the node knows it.
	Leader string `json:"leader,omitempty" wire:"2"`
}

// NodeMeta is what a node gossips about itself through SWIM.
//
//crdt:message
type NodeMeta struct {
	RaftAddr string `wire:"1"`
	HTTPAddr string `wire:"2"`
	// Epoch is the node's incarnation (its start time in nanoseconds).
	Epoch uint64 `wire:"3"`
	// ReplicaAddr is the TCP address of the node's CRDT anti-entropy
	// stream (runtime/crdt/replica/stream).
	ReplicaAddr string `wire:"4"`
}

// Member is one SWIM member as /v1/members shows it.
//
//crdt:message
type Member struct {
	Name        string `wire:"1"`
	Addr        string `wire:"2"`
	State       string `wire:"3"`
	Incarnation uint32 `wire:"4"`
	RaftAddr    string `wire:"5"`
	HTTPAddr    string `wire:"6"`
}

// Members answers GET /v1/members.
//
//crdt:message
type Members struct {
	Self    string   `wire:"1"`
	Members []Member `wire:"2"`
}

// RaftPeer is one server of the Raft configuration.
//
//crdt:message
type RaftPeer struct {
	ID         string `wire:"1"`
	Address    string `wire:"2"`
	Voter      bool   `wire:"3"`
	MatchIndex uint64 `wire:"4"`
}

// RaftStatus answers GET /v1/raft.
//
//crdt:message
type RaftStatus struct {
	ID           string     `wire:"1"`
	Role         string     `wire:"2"`
	Term         uint64     `wire:"3"`
	Leader       string     `wire:"4"`
	LeaderHTTP   string     `wire:"5"`
	CommitIndex  uint64     `wire:"6"`
	AppliedIndex uint64     `wire:"7"`
	Peers        []RaftPeer `wire:"8"`
}

// KVOp is the operation of a KVCommand.
type KVOp uint8

const (
	// KVPut sets a key.
	KVPut KVOp = iota + 1
	// KVDelete removes a key.
	KVDelete
)

// KVCommand is one entry of the Raft log of the key-value state machine.
//
//crdt:message
type KVCommand struct {
	Op    KVOp   `wire:"1"`
	Key   string `wire:"2"`
	Value string `wire:"3"`
}

// KVSnapshot is the key-value state machine's snapshot.
//
//crdt:message
type KVSnapshot struct {
	Data map[string]string `wire:"1"`
}

// KVPair answers GET, PUT and DELETE /v1/kv/{key}.
//
//crdt:message
type KVPair struct {
	Key   string `wire:"1"`
	Value string `wire:"2"`
	Found bool   `wire:"3"`
	// Index is the Raft log index the answer reflects.
	Index uint64 `wire:"4"`
}

// KVWrite is the body of PUT /v1/kv/{key}.
//
//crdt:message
type KVWrite struct {
	Value string `wire:"1"`
}

// RecordOp is one update of a CRDT record field.
//
//crdt:message
type RecordOp struct {
	// Op is inc, dec, add, remove, set, or put and delete for map fields.
	Op string `wire:"1"`
	// Field is the record field's JSON name.
	Field string `wire:"2"`
	// Key names the entry of a map field (put, delete, and nested updates).
	Key string `wire:"3"`
	// Value is the element (add, remove) or the value (set, put).
	Value string `wire:"4"`
	// By is the amount of inc and dec.
	By int64 `wire:"5"`
}

// RecordUpdate is the body of POST /v1/records/{type}/{key}.
//
//crdt:message
type RecordUpdate struct {
	Ops []RecordOp `wire:"1"`
}

// RecordKeys answers GET /v1/records/{type}.
//
//crdt:message
type RecordKeys struct {
	Type string   `wire:"1"`
	Keys []string `wire:"2"`
}

// Health answers GET /healthz.
//
//crdt:message
type Health struct {
	Status     string `wire:"1"`
	Node       string `wire:"2"`
	Members    uint32 `wire:"3"`
	RaftRole   string `wire:"4"`
	RaftLeader string `wire:"5"`
	// Digest is the SHA-256 of the node's replicated records, in hex: equal
	// on every node once they converged.
	Digest string `wire:"6"`
	// Load is the node's recent request rate (requests per second), which
	// the auto-scaler sums over the members as the cluster's queue depth.
	Load float64 `wire:"7"`
	// Records is the number of CRDT records the node holds.
	Records uint32 `wire:"8"`
	// Pid is the node's process id.
	Pid uint32 `wire:"9"`
}

// Sever is the body of POST /v1/admin/sever, which exists only on nodes
// started with -fault-injection: it cuts (or restores) all of the node's
// SWIM, Raft and replication traffic, to simulate a network partition.
//
//crdt:message
type Sever struct {
	On bool `wire:"1"`
}
