// Package durable keeps a replica.State on disk, so that a local update
// acknowledged to a client survives a crash of the process.
//
// A Store wraps the State the replica engine replicates. Every local delta
// the engine takes (State.TakeDelta) is appended, before the engine sees it,
// to a log file as one CRC32C-framed record (runtime/internal/recfile)
// holding a replicawire.Delta: a log sequence number and the delta encoded
// with the generated binary codecs. Sync makes everything appended so far
// durable with one fdatasync shared by every concurrent caller (group
// commit): a writer applies its update, has the engine take the delta
// (Engine.Flush), and acknowledges only after Sync returned.
//
// Compact writes the whole state as a snapshot (a replicawire.State whose
// Seq says which log records it covers) atomically (temporary file, fsync,
// rename, directory fsync), starts a new log file and deletes the covered
// ones; Run compacts whenever the log passes Config.CompactBytes. Deltas
// merged from peers are not logged: they are durable on their origin, and
// the next snapshot holds them.
//
// Open loads the snapshot and replays the log into the State. A record torn
// by a crash at the end of the last log file was never acknowledged (Sync
// had not returned): it is truncated with a warning. Damage anywhere else is
// refused with a *CorruptError naming the file and byte offset
// (errors.Is(err, ErrCorrupt)), so no acknowledged update is dropped
// silently.
//
// Usage:
//
//	st, err := durable.Open(durable.Config{Dir: dir, State: keyed, RestoreAsDelta: true})
//	eng, err := replica.New(replica.Config{ID: "n1", State: st, ...})
//	go st.Run(ctx)                  // background compaction
//	// per write: update keyed; eng.Flush(); err := st.Sync(ctx); then answer
//	st.Close()                      // after the engine stopped
package durable
