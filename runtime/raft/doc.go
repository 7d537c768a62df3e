// Package raft implements the Raft consensus algorithm with pre-vote,
// check-quorum, snapshots, membership changes, leadership transfer and
// linearizable reads. Its heartbeat path takes no lock.
package raft
