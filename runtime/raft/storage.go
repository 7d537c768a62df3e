package raft

import (
	"io"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// LogStore holds the replicated log. Implementations: the in-memory store for
// tests and the segmented write-ahead log in package wal.
//
// Indexes start at 1. A store that holds no entries reports
// LastIndex() == FirstIndex()-1; a new store reports FirstIndex 1, LastIndex 0.
// All methods are safe for concurrent use.
type LogStore interface {
	// FirstIndex returns the index of the first entry held.
	FirstIndex() (uint64, error)
	// LastIndex returns the index of the last entry held.
	LastIndex() (uint64, error)
	// Term returns the term of the entry at index. It returns ErrCompacted
	// below FirstIndex and ErrUnavailable above LastIndex.
	Term(index uint64) (uint64, error)
	// Entries returns the entries in [lo, hi). When maxBytes > 0 it stops
	// once the Data of the returned entries exceeds maxBytes, but always
	// returns at least one entry. It returns ErrCompacted when lo <
	// FirstIndex and ErrUnavailable when hi > LastIndex+1. The caller must
	// not modify the returned entries.
	Entries(lo, hi, maxBytes uint64) ([]raftwire.Entry, error)
	// Append stores contiguous entries durably before it returns. When the
	// first entry's index is at or below LastIndex, the entries from that
	// index on are deleted first (a conflicting suffix). Concurrent calls may
	// share one fsync (group commit).
	Append(entries []raftwire.Entry) error
	// TruncatePrefix deletes every entry with an index at or below index,
	// after a snapshot covers them. Afterwards FirstIndex is index+1; when
	// index >= LastIndex the store is empty and the next Append starts at
	// index+1.
	TruncatePrefix(index uint64) error
	// Reset deletes every entry, whatever the store holds: afterwards it
	// is empty, FirstIndex is index+1 and the next Append starts at
	// index+1. Raft calls it when a snapshot ending at index conflicts
	// with the log (Figure 13, rule 7: discard the entire log), where
	// TruncatePrefix would keep the stale entries after index. It is
	// durable before it returns and atomic: after a crash the store
	// holds either everything it held before or nothing.
	Reset(index uint64) error
	// Close releases the store. Later calls return ErrClosed.
	Close() error
}

// StableStore holds the HardState (current term and vote), which must be on
// stable storage before a server answers an RPC. Safe for concurrent use.
type StableStore interface {
	// LoadHardState returns the last saved state, or the zero HardState when
	// nothing was ever saved.
	LoadHardState() (raftwire.HardState, error)
	// SaveHardState replaces the saved state durably and atomically: after a
	// crash either the old or the new state is read back, never a mix.
	SaveHardState(raftwire.HardState) error
}

// SnapshotStore holds snapshots of the state machine. Safe for concurrent use.
type SnapshotStore interface {
	// Create starts a snapshot described by meta. The snapshot becomes
	// visible to Open only when the sink is closed successfully.
	Create(meta raftwire.SnapshotMeta) (SnapshotSink, error)
	// Open returns the newest complete snapshot, or ErrNoSnapshot. The
	// caller closes the reader.
	Open() (raftwire.SnapshotMeta, io.ReadCloser, error)
}

// SnapshotSink receives the bytes of a snapshot being created.
type SnapshotSink interface {
	io.Writer
	// Close makes the snapshot durable and visible, and may discard older
	// snapshots the store no longer retains.
	Close() error
	// Cancel abandons the snapshot; nothing of it remains.
	Cancel() error
}
