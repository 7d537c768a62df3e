// Package raft implements the Raft consensus algorithm with pre-vote,
// check-quorum, batched and pipelined replication, snapshots with streamed
// install and log compaction, single-server membership changes and
// learners, leadership transfer and linearizable reads (ReadIndex). Its
// heartbeat path takes no lock.
//
// A Node is built from a Config and its parts (Deps): the FSM it replicates,
// a LogStore, a StableStore, a SnapshotStore (package wal has durable ones;
// NewMemLogStore, NewMemStableStore and NewMemSnapshotStore are for tests)
// and a Transport (package tcp, or a Network of in-memory transports with
// seeded fault injection for tests).
//
// Usage:
//
//	cfg := raft.DefaultConfig()
//	cfg.LocalID = "n1"
//	n, err := raft.NewNode(cfg, raft.Deps{FSM: fsm, Logs: logs, Stable: stable,
//		Snapshots: snaps, Transport: tr})
//	err = n.Bootstrap(ctx, configuration) // once, on a new cluster
//	res, err := n.Propose(ctx, cmd)        // returns once applied: res.Response
//	f, err := n.ProposeAsync(ctx, cmd)     // returns once appended: f.Index, f.Term
//	idx, err := n.ReadIndex(ctx)           // then read the FSM: linearizable
//	err = n.AddVoter(ctx, "n4", addr)      // one change at a time
//	err = n.TransferLeadership(ctx, "n2")
//	st := n.Status()
//	n.Close()
//
// Inside, one core goroutine owns the protocol state and handles every
// inbound message; each follower has its own replication goroutine that
// pipelines appends and sends heartbeats; a writer goroutine persists the
// log, merging queued appends into one LogStore.Append (one fsync); an
// applier goroutine applies committed entries to the FSM in batches. The
// role, term, commit index and leader are atomics: the heartbeat path, on
// the leader and on the follower, reads them without a lock.
package raft
