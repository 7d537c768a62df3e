package raft

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config tunes a Node. Start from DefaultConfig and set LocalID.
type Config struct {
	// LocalID is this server's ID in the cluster configuration. Required.
	LocalID string
	// ElectionTimeoutMin and ElectionTimeoutMax bound the randomised time a
	// follower waits without hearing from a leader before it starts an
	// election. With CheckQuorum, a leader steps down when it has not heard
	// from a quorum for ElectionTimeoutMin.
	ElectionTimeoutMin time.Duration
	ElectionTimeoutMax time.Duration
	// HeartbeatInterval is how often a leader sends each follower a heartbeat.
	HeartbeatInterval time.Duration
	// PreVote makes a server ask whether it could win before it disturbs the
	// cluster with a higher term (Raft thesis 9.6). Voters refuse it while
	// they hear from a leader only with CheckQuorum (as in etcd raft): with
	// PreVote alone, a server that cannot hear the leader but whose log is
	// up to date still wins the pre-vote and deposes it.
	PreVote bool
	// CheckQuorum makes a leader step down when it loses contact with a
	// quorum, and lets voters ignore vote requests and pre-votes while they
	// hear from a leader (leader lease). The two go together: a lease kept
	// for a leader that never steps down could leave a cluster with a
	// one-way partition leaderless.
	CheckQuorum bool
	// MaxAppendEntries caps the entries in one AppendEntries message and in
	// one batch of proposals.
	MaxAppendEntries int
	// MaxAppendBytes caps the command bytes in one AppendEntries message.
	MaxAppendBytes uint64
	// MaxInflightAppends is how many AppendEntries a leader pipelines to one
	// follower before it waits for an answer.
	MaxInflightAppends int
	// SnapshotThreshold is how many applied entries since the last snapshot
	// trigger an automatic FSM snapshot; 0 disables automatic snapshots.
	SnapshotThreshold uint64
	// TrailingLogs is how many entries below a snapshot are kept in the log,
	// so a slow follower can continue from the log instead of a snapshot.
	TrailingLogs uint64
	// SnapshotChunkSize is the size of one InstallSnapshot chunk.
	SnapshotChunkSize int
	// LogStallTimeout bounds a LogStore.Append: a leader whose append has
	// been blocked longer stops heartbeating and steps down, so a server
	// with a healthy disk takes over (hashicorp/raft #503).
	LogStallTimeout time.Duration
	// ProposalQueue is the capacity of the proposal queue.
	ProposalQueue int
	// Logger receives the node's log; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns a Config with production defaults; set LocalID.
func DefaultConfig() Config {
	return Config{
		ElectionTimeoutMin: 150 * time.Millisecond,
		ElectionTimeoutMax: 300 * time.Millisecond,
		HeartbeatInterval:  50 * time.Millisecond,
		PreVote:            true,
		CheckQuorum:        true,
		MaxAppendEntries:   1024,
		MaxAppendBytes:     4 << 20,
		MaxInflightAppends: 64,
		SnapshotThreshold:  8192,
		TrailingLogs:       10240,
		SnapshotChunkSize:  256 << 10,
		LogStallTimeout:    2 * time.Second,
		ProposalQueue:      8192,
	}
}

// ErrInvalidConfig is wrapped by Config.Validate errors.
var ErrInvalidConfig = errors.New("raft: invalid config")

// Validate reports the first unusable setting.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.LocalID == "":
		return bad("LocalID is empty")
	case c.HeartbeatInterval <= 0:
		return bad("HeartbeatInterval %v must be positive", c.HeartbeatInterval)
	case c.ElectionTimeoutMin < 2*c.HeartbeatInterval:
		return bad("ElectionTimeoutMin %v must be at least twice HeartbeatInterval %v", c.ElectionTimeoutMin, c.HeartbeatInterval)
	case c.ElectionTimeoutMax <= c.ElectionTimeoutMin:
		return bad("ElectionTimeoutMax %v must exceed ElectionTimeoutMin %v", c.ElectionTimeoutMax, c.ElectionTimeoutMin)
	case c.MaxAppendEntries <= 0:
		return bad("MaxAppendEntries %d must be positive", c.MaxAppendEntries)
	case c.MaxInflightAppends <= 0:
		return bad("MaxInflightAppends %d must be positive", c.MaxInflightAppends)
	case c.SnapshotChunkSize <= 0:
		return bad("SnapshotChunkSize %d must be positive", c.SnapshotChunkSize)
	case c.LogStallTimeout <= 0:
		return bad("LogStallTimeout %v must be positive", c.LogStallTimeout)
	case c.ProposalQueue <= 0:
		return bad("ProposalQueue %d must be positive", c.ProposalQueue)
	}
	return nil
}
