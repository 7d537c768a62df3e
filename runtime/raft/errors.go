package raft

import "errors"

// Sentinel errors returned by the storage and transport seams; test for them
// with errors.Is.
var (
	// ErrCompacted is returned when an index below the first retained entry
	// is asked for: it was folded into a snapshot.
	ErrCompacted = errors.New("raft: log entry compacted")
	// ErrUnavailable is returned when an index above the last entry is asked for.
	ErrUnavailable = errors.New("raft: log entry unavailable")
	// ErrNoSnapshot is returned by SnapshotStore.Open when there is no snapshot.
	ErrNoSnapshot = errors.New("raft: no snapshot")
	// ErrClosed is returned by a component used after Close.
	ErrClosed = errors.New("raft: closed")
	// ErrUnknownPeer is returned by a transport asked to reach, or contacted
	// by, a server that is not in the configuration.
	ErrUnknownPeer = errors.New("raft: unknown peer")
)
