// Package raftwire declares the wire messages of runtime/raft.
//
// This package is a schema: crdtgen reads it and emits the types with their
// JSON and binary codecs into gen/raftwire. Nothing imports it at run time.
// Field numbers (wire:"N") are part of the wire format: never reuse or
// renumber one; add new fields with new numbers.
package raftwire

// EntryType says what a log entry carries.
type EntryType uint8

const (
	// EntryNormal carries an application command for the FSM.
	EntryNormal EntryType = iota
	// EntryNoop is appended by a new leader to commit entries of earlier terms.
	EntryNoop
	// EntryConfig carries an encoded Configuration.
	EntryConfig
)

// Suffrage says whether a server votes.
type Suffrage uint8

const (
	// Voter votes in elections and counts towards the commit quorum.
	Voter Suffrage = iota
	// Learner receives the log but neither votes nor counts for quorum.
	Learner
)

// Entry is one record of the replicated log.
//
//crdt:message
type Entry struct {
	Index uint64    `wire:"1"`
	Term  uint64    `wire:"2"`
	Type  EntryType `wire:"3"`
	Data  []byte    `wire:"4"`
}

// Server is one member of a cluster configuration.
//
//crdt:message
type Server struct {
	ID       string   `wire:"1"`
	Address  string   `wire:"2"`
	Suffrage Suffrage `wire:"3"`
}

// Configuration is the set of servers of a cluster.
//
//crdt:message
type Configuration struct {
	Servers []Server `wire:"1"`
}

// RequestVote asks for a vote, or with PreVote set, asks whether a vote would
// be granted without disturbing anyone's term.
//
//crdt:message
type RequestVote struct {
	Term         uint64 `wire:"1"`
	CandidateID  string `wire:"2"`
	LastLogIndex uint64 `wire:"3"`
	LastLogTerm  uint64 `wire:"4"`
	PreVote      bool   `wire:"5"`
	// LeadershipTransfer is set when the election was started by TimeoutNow,
	// so voters ignore their leader lease.
	LeadershipTransfer bool `wire:"6"`
}

// RequestVoteResponse answers a RequestVote.
//
//crdt:message
type RequestVoteResponse struct {
	Term        uint64 `wire:"1"`
	VoteGranted bool   `wire:"2"`
	PreVote     bool   `wire:"3"`
	VoterID     string `wire:"4"`
}

// AppendEntries replicates log entries and serves as the heartbeat.
//
//crdt:message
type AppendEntries struct {
	Term         uint64  `wire:"1"`
	LeaderID     string  `wire:"2"`
	PrevLogIndex uint64  `wire:"3"`
	PrevLogTerm  uint64  `wire:"4"`
	Entries      []Entry `wire:"5"`
	LeaderCommit uint64  `wire:"6"`
	// ReadContext is echoed in the response; ReadIndex uses it to confirm
	// leadership with a quorum.
	ReadContext uint64 `wire:"7"`
	// Heartbeat marks an AppendEntries that carries no entries and no log
	// position: LeaderCommit is already capped at the follower's match index,
	// so the follower needs no log lookup to handle it.
	Heartbeat bool `wire:"8"`
}

// AppendEntriesResponse answers an AppendEntries. On a mismatch ConflictTerm
// and ConflictIndex let the leader skip a whole term at a time.
//
//crdt:message
type AppendEntriesResponse struct {
	Term          uint64 `wire:"1"`
	Success       bool   `wire:"2"`
	LastLogIndex  uint64 `wire:"3"`
	ConflictTerm  uint64 `wire:"4"`
	ConflictIndex uint64 `wire:"5"`
	ReadContext   uint64 `wire:"6"`
	FollowerID    string `wire:"7"`
	// Heartbeat echoes AppendEntries.Heartbeat.
	Heartbeat bool `wire:"8"`
	// RejectIndex is the PrevLogIndex that did not match (Success false), so
	// the leader can discard stale rejections.
	RejectIndex uint64 `wire:"9"`
}

// InstallSnapshot carries one chunk of a snapshot.
//
//crdt:message
type InstallSnapshot struct {
	Term              uint64        `wire:"1"`
	LeaderID          string        `wire:"2"`
	LastIncludedIndex uint64        `wire:"3"`
	LastIncludedTerm  uint64        `wire:"4"`
	Configuration     Configuration `wire:"5"`
	ConfigIndex       uint64        `wire:"6"`
	Offset            uint64        `wire:"7"`
	Data              []byte        `wire:"8"`
	Done              bool          `wire:"9"`
	TotalSize         uint64        `wire:"10"`
}

// InstallSnapshotResponse answers one chunk of InstallSnapshot.
//
//crdt:message
type InstallSnapshotResponse struct {
	Term       uint64 `wire:"1"`
	Success    bool   `wire:"2"`
	NextOffset uint64 `wire:"3"`
	FollowerID string `wire:"4"`
}

// TimeoutNow tells a caught-up follower to start an election at once; it is
// the last step of a leadership transfer.
//
//crdt:message
type TimeoutNow struct {
	Term     uint64 `wire:"1"`
	LeaderID string `wire:"2"`
}

// TimeoutNowResponse answers TimeoutNow.
//
//crdt:message
type TimeoutNowResponse struct {
	Term uint64 `wire:"1"`
}

// HardState is what a server must remember across restarts before it answers
// any RPC: its current term and whom it voted for in that term.
//
//crdt:message
type HardState struct {
	Term uint64 `wire:"1"`
	Vote string `wire:"2"`
}

// SnapshotMeta describes a snapshot: the last log entry it covers and the
// configuration in force at that entry.
//
//crdt:message
type SnapshotMeta struct {
	Index         uint64        `wire:"1"`
	Term          uint64        `wire:"2"`
	Configuration Configuration `wire:"3"`
	ConfigIndex   uint64        `wire:"4"`
	Size          uint64        `wire:"5"`
}

// Message is the envelope every transport carries: exactly one of the
// pointer fields is set.
//
//crdt:message
type Message struct {
	From                    string                   `wire:"1"`
	To                      string                   `wire:"2"`
	RequestVote             *RequestVote             `wire:"3"`
	RequestVoteResponse     *RequestVoteResponse     `wire:"4"`
	AppendEntries           *AppendEntries           `wire:"5"`
	AppendEntriesResponse   *AppendEntriesResponse   `wire:"6"`
	InstallSnapshot         *InstallSnapshot         `wire:"7"`
	InstallSnapshotResponse *InstallSnapshotResponse `wire:"8"`
	TimeoutNow              *TimeoutNow              `wire:"9"`
	TimeoutNowResponse      *TimeoutNowResponse      `wire:"10"`
	// FromAddr is the sender's transport address, so a server can answer a
	// peer it has no configuration entry for yet (a server being added).
	FromAddr string `wire:"11"`
}
