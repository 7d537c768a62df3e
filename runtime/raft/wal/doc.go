// Package wal provides durable storage for package raft: a segmented
// write-ahead log (WAL, a raft.LogStore), a file StableStore for the
// HardState and a file SnapshotStore.
//
// The log is a directory of segment files named after the index of their
// first entry. Each entry is one record, framed with its length and CRC32C
// (Castagnoli) checksums of the header and of the payload, the entry encoded
// with the generated raftwire codec. Appends are queued to a committer
// goroutine that writes everything queued since its last write with one
// write and one fsync (group commit), so concurrent appenders share fsyncs.
// An in-memory index gives every entry's term and file position, so Term is
// answered from memory and Entries reads with one pread per run of records;
// the most recent entries are also kept decoded in a bounded cache.
//
// Recovery on Open truncates a record torn by a crash at the end of the last
// segment (it was never acknowledged: Append returns only after the fsync)
// and refuses to open a log damaged anywhere else, with a *CorruptError
// naming the file and offset (errors.Is(err, ErrCorrupt)), so no
// acknowledged entry is ever dropped silently. Conflicting suffixes are
// truncated in place; TruncatePrefix records the new first index durably and
// deletes only whole segments; Reset (a snapshot conflicting with the log)
// records the new first index with a flag that every segment is stale,
// deletes them all, then clears the flag, and Open finishes a Reset a crash
// interrupted. Segment creation and removal fsync the directory.
//
// Usage:
//
//	logs, err := wal.Open(filepath.Join(dir, "log"), wal.DefaultConfig())
//	stable, err := wal.OpenStableStore(filepath.Join(dir, "state"))
//	snaps, err := wal.OpenSnapshotStore(filepath.Join(dir, "snapshots"), wal.DefaultSnapshotConfig())
//	// hand logs, stable and snaps to the raft node; logs.Close() on shutdown.
package wal
