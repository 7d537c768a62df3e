// Package peer holds the benchmark messages as plain structs for the peer
// code generators: easyjson (types_easyjson.go) and msgp (types_gen.go)
// generate their codecs from these definitions, which match
// gen/raftwire.AppendEntries and the benchwire SWIM packet field for field.
package peer

//go:generate go run github.com/mailru/easyjson/easyjson -all -no_std_marshalers=false types.go
//go:generate go run github.com/tinylib/msgp -file types.go -tests=false -io=false

// Entry mirrors raftwire.Entry.
type Entry struct {
	Index uint64 `json:"index" msg:"index"`
	Term  uint64 `json:"term" msg:"term"`
	Type  uint8  `json:"type" msg:"type"`
	Data  []byte `json:"data" msg:"data"`
}

// AppendEntries mirrors raftwire.AppendEntries.
type AppendEntries struct {
	Term         uint64  `json:"term" msg:"term"`
	LeaderID     string  `json:"leader_id" msg:"leader_id"`
	PrevLogIndex uint64  `json:"prev_log_index" msg:"prev_log_index"`
	PrevLogTerm  uint64  `json:"prev_log_term" msg:"prev_log_term"`
	Entries      []Entry `json:"entries" msg:"entries"`
	LeaderCommit uint64  `json:"leader_commit" msg:"leader_commit"`
	ReadContext  uint64  `json:"read_context" msg:"read_context"`
	Heartbeat    bool    `json:"heartbeat" msg:"heartbeat"`
}

// Alive mirrors swimwire.Alive.
type Alive struct {
	Incarnation uint32 `json:"incarnation" msg:"incarnation"`
	Node        string `json:"node" msg:"node"`
	Addr        string `json:"addr" msg:"addr"`
	Meta        []byte `json:"meta" msg:"meta"`
}

// Packet is a SWIM packet compounding several Alive messages.
type Packet struct {
	Alives []Alive `json:"alives" msg:"alives"`
}
