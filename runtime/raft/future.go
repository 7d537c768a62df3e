package raft

import (
	"context"
	"errors"
)

// Errors returned by Node methods; test for them with errors.Is.
var (
	// ErrNotLeader is returned when an operation needs the leader; Status
	// names the leader this server knows of.
	ErrNotLeader = errors.New("raft: not the leader")
	// ErrLeadershipLost is returned when the entry proposed was replaced by
	// another leader's entry at the same index: it was not applied.
	ErrLeadershipLost = errors.New("raft: leadership lost, entry not applied")
	// ErrOutcomeUnknown is returned for a proposal whose entry this server
	// can no longer follow (its log was replaced by a snapshot from a new
	// leader, or the server lost leadership before the entry committed): it
	// may or may not have been applied.
	ErrOutcomeUnknown = errors.New("raft: outcome of proposal unknown")
	// ErrTransferInProgress is returned for proposals while the leader hands
	// leadership over.
	ErrTransferInProgress = errors.New("raft: leadership transfer in progress")
	// ErrConfigChangePending is returned when a membership change is asked for
	// before the previous one committed.
	ErrConfigChangePending = errors.New("raft: configuration change pending")
	// ErrNotBootstrappable is returned by Bootstrap on a server with state.
	ErrNotBootstrappable = errors.New("raft: server already has state")
	// ErrSnapshotIndex is returned when a snapshot is handed in for an index
	// that was not applied or is already covered.
	ErrSnapshotIndex = errors.New("raft: bad snapshot index")
	// ErrStorage is wrapped around failures of the LogStore, StableStore or
	// SnapshotStore that stop the node.
	ErrStorage = errors.New("raft: storage failure")
	// ErrProposalTooLarge is returned for a command too large for the
	// transport to carry in an AppendEntries (see MessageLimiter and
	// Node.MaxCommandSize).
	ErrProposalTooLarge = errors.New("raft: proposal too large for the transport")
)

// Result is the outcome of an applied proposal.
type Result struct {
	// Index and Term locate the entry in the log.
	Index uint64
	Term  uint64
	// Response is what FSM.Apply returned.
	Response any
}

// Future is the outcome of an asynchronous proposal. Index and Term are set
// once ProposeAsync returns; Done is closed when the entry was applied (or
// definitively not). Safe for concurrent use.
type Future struct {
	// Index and Term are where the leader appended the entry.
	Index, Term uint64

	cmd      []byte
	typ      uint8 // raftwire.EntryType
	assigned chan struct{}
	done     chan struct{}
	resp     any
	err      error
	// assignErr is set before assigned is closed when the proposal was
	// refused; err and resp are set before done is closed.
	assignErr error
}

func newFuture(cmd []byte, typ uint8) *Future {
	return &Future{cmd: cmd, typ: typ, assigned: make(chan struct{}), done: make(chan struct{})}
}

// fail resolves a future that was never assigned an index.
func (f *Future) fail(err error) {
	f.err, f.assignErr = err, err
	close(f.assigned)
	close(f.done)
}

func (f *Future) resolve(resp any, err error) {
	f.resp, f.err = resp, err
	close(f.done)
}

// Done is closed once the outcome is known.
func (f *Future) Done() <-chan struct{} { return f.done }

// Result returns the outcome; call it after Done is closed.
func (f *Future) Result() (Result, error) {
	return Result{Index: f.Index, Term: f.Term, Response: f.resp}, f.err
}

// Wait blocks until the outcome is known or ctx ends. A ctx error says
// nothing about whether the entry will be applied.
func (f *Future) Wait(ctx context.Context) (Result, error) {
	select {
	case <-f.done:
		return f.Result()
	case <-ctx.Done():
		return Result{Index: f.Index, Term: f.Term}, ctx.Err()
	}
}
