// Package plain holds the benchmark messages with no methods at all, so
// encoding/json encodes them by reflection: the baseline.
package plain

// Entry mirrors raftwire.Entry.
type Entry struct {
	Index uint64 `json:"index"`
	Term  uint64 `json:"term"`
	Type  uint8  `json:"type"`
	Data  []byte `json:"data"`
}

// AppendEntries mirrors raftwire.AppendEntries.
type AppendEntries struct {
	Term         uint64  `json:"term"`
	LeaderID     string  `json:"leader_id"`
	PrevLogIndex uint64  `json:"prev_log_index"`
	PrevLogTerm  uint64  `json:"prev_log_term"`
	Entries      []Entry `json:"entries"`
	LeaderCommit uint64  `json:"leader_commit"`
	ReadContext  uint64  `json:"read_context"`
	Heartbeat    bool    `json:"heartbeat"`
}

// Alive mirrors swimwire.Alive.
type Alive struct {
	Incarnation uint32 `json:"incarnation"`
	Node        string `json:"node"`
	Addr        string `json:"addr"`
	Meta        []byte `json:"meta"`
}

// Packet is a SWIM packet compounding several Alive messages.
type Packet struct {
	Alives []Alive `json:"alives"`
}
