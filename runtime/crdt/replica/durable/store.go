package durable

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/crdt/replica"
	"github.com/dwsdk/distributed/runtime/internal/recfile"
)

// Store is a replica.State that logs every local delta before handing it
// out and can make the log durable on demand. All methods are safe for
// concurrent use. TakeDelta only writes (no fsync), so it is cheap enough to
// run under the engine's lock; Sync pays for the fsync, shared by
// concurrent callers.
type Store struct {
	cfg Config

	compactMu sync.Mutex // one compaction at a time

	mu      sync.Mutex
	f       *os.File // the log file appended to
	path    string
	size    int64  // bytes in f
	first   uint64 // sequence number of f's first record
	next    uint64 // sequence number of the next record
	synced  uint64 // records up to this sequence number are durable
	snapSeq uint64 // the snapshot covers records up to here
	syncing chan struct{}
	err     error // sticky: a write or sync failed; the log is read-only
	closed  bool
	restore bool // hand out the whole state on the next TakeDelta
	buf     []byte
	stats   Stats

	compact chan struct{} // capacity 1: the log passed CompactBytes
}

// Stats counts what the store did.
type Stats struct {
	Appends     uint64 // delta records written
	AppendBytes uint64 // their framed size
	Syncs       uint64 // fdatasync calls made by Sync and Close
	Compactions uint64 // snapshots written
	LogBytes    int64  // current log file size
	// Recovery done by Open.
	RestoredSnapshot bool  // a snapshot was loaded
	RestoredRecords  int   // log records replayed after it
	TruncatedBytes   int64 // torn tail cut off the last log file
}

var _ replica.State = (*Store)(nil)

// Open recovers the state kept in cfg.Dir into cfg.State (snapshot, then
// the log records after it), then compacts what it replayed into a fresh
// snapshot and starts a new log file. It returns a *CorruptError when a
// file is damaged other than by a torn final append.
func Open(cfg Config) (*Store, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("durable: create %s: %w", c.Dir, err)
	}
	os.Remove(filepath.Join(c.Dir, snapFile+".tmp")) // a compaction that did not finish
	s := &Store{cfg: c, compact: make(chan struct{}, 1)}
	if err := s.recover(); err != nil {
		return nil, err
	}
	return s, nil
}

// recover loads the snapshot and replays the logs, then leaves exactly one
// empty log file after the new snapshot.
func (s *Store) recover() error {
	dir, log := s.cfg.Dir, s.cfg.Logger
	snap, err := readSnapshot(dir)
	if err != nil {
		return err
	}
	if snap != nil {
		if snap.Seq == math.MaxUint64 {
			return corruptf(filepath.Join(dir, snapFile), recfile.AtomicHeaderSize, "snapshot covers sequence number %d, leaving none to log", snap.Seq)
		}
		if err := s.cfg.State.MergeState(snap.Data); err != nil {
			return corruptf(filepath.Join(dir, snapFile), recfile.AtomicHeaderSize, "restore snapshot: %v", err)
		}
		s.snapSeq = snap.Seq
		s.stats.RestoredSnapshot = true
	}
	firsts, err := listLogs(dir)
	if err != nil {
		return err
	}
	next := s.snapSeq + 1
	replayed := false
	for i, first := range firsts {
		path := filepath.Join(dir, logName(first))
		if i+1 < len(firsts) && firsts[i+1]-1 <= s.snapSeq {
			continue // wholly covered by the snapshot: removed below
		}
		if replayed && first != next || !replayed && first > next {
			return corruptf(path, 0, "log starts at sequence number %d, want %d (a log file is missing)", first, next)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("durable: read %s: %w", path, err)
		}
		last := i == len(firsts)-1
		r, err := scanLog(path, data, first, last, func(d *replicawire.Delta) error {
			if d.Seq <= s.snapSeq {
				return nil
			}
			s.stats.RestoredRecords++
			return s.cfg.State.MergeDelta(d.Data)
		})
		if err != nil {
			return err
		}
		if r.torn != "" {
			log.Warn("durable: truncating torn tail of the log", "file", path, "offset", r.good,
				"bytes", len(data)-r.good, "reason", r.torn)
			if err := truncate(path, int64(r.good)); err != nil {
				return err
			}
			s.stats.TruncatedBytes = int64(len(data) - r.good)
		}
		replayed = true
		next = max(next, r.next)
	}
	if s.stats.RestoredRecords > 0 {
		data, err := s.cfg.State.Snapshot()
		if err != nil {
			return fmt.Errorf("durable: snapshot restored state: %w", err)
		}
		if err := writeSnapshot(dir, &replicawire.State{Seq: next - 1, Data: data}); err != nil {
			return err
		}
		s.snapSeq = next - 1
		s.stats.Compactions++
	}
	if s.f, err = createLog(dir, next); err != nil {
		return err
	}
	s.path, s.size, s.first, s.next, s.synced = filepath.Join(dir, logName(next)), int64(len(logMagic)), next, next, next-1
	s.stats.LogBytes = s.size
	if err := removeLogsBefore(dir, next); err != nil {
		s.f.Close()
		return err
	}
	s.restore = s.cfg.RestoreAsDelta && (s.stats.RestoredSnapshot || s.stats.RestoredRecords > 0)
	if s.stats.RestoredSnapshot || s.stats.RestoredRecords > 0 {
		log.Info("durable: restored state", "dir", dir, "snapshot", s.stats.RestoredSnapshot,
			"records", s.stats.RestoredRecords, "truncated_bytes", s.stats.TruncatedBytes)
	}
	return nil
}

// truncate cuts the file at off and makes the cut durable.
func truncate(path string, off int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err == nil {
		err = f.Truncate(off)
		if err == nil {
			err = f.Sync()
		}
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("durable: truncate %s at %d: %w", path, off, err)
	}
	return nil
}

// removeLogsBefore deletes the log files whose records all precede first
// and syncs the directory.
func removeLogsBefore(dir string, first uint64) error {
	firsts, err := listLogs(dir)
	if err != nil {
		return err
	}
	for _, n := range firsts {
		if n < first {
			if err := os.Remove(filepath.Join(dir, logName(n))); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("durable: remove log: %w", err)
			}
		}
	}
	if err := recfile.SyncDir(dir); err != nil {
		return fmt.Errorf("durable: %w", err)
	}
	return nil
}

// TakeDelta implements replica.State: it takes the wrapped state's delta
// and appends it to the log (written, not yet synced) before returning it.
// A failed write makes the store read-only: the delta is still returned, so
// replication goes on, but Sync reports the failure from then on.
func (s *Store) TakeDelta() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.cfg.State.TakeDelta()
	if err != nil {
		return nil, err
	}
	if len(d) > 0 && !s.closed && s.err == nil {
		if err := s.appendLocked(d); err != nil {
			s.err = fmt.Errorf("durable: log is read-only after a failed write, reopen to recover: %w", err)
			s.cfg.Logger.Error("durable: append failed", "file", s.path, "err", err)
		}
	}
	if s.restore {
		s.restore = false
		all, err := s.cfg.State.Snapshot()
		if err == nil {
			return all, nil
		}
		s.cfg.Logger.Warn("durable: snapshot for re-dissemination", "err", err)
	}
	return d, nil
}

// appendLocked writes one record holding d. s.mu is held.
func (s *Store) appendLocked(d []byte) error {
	b, start := recfile.Begin(s.buf[:0])
	b, err := (&replicawire.Delta{Seq: s.next, Data: d}).AppendBinary(b)
	if err != nil {
		return fmt.Errorf("encode delta %d: %w", s.next, err)
	}
	recfile.Finish(b, start)
	s.buf = b[:0]
	if _, err := s.f.WriteAt(b, s.size); err != nil {
		return fmt.Errorf("write %s at %d: %w", s.path, s.size, err)
	}
	s.size += int64(len(b))
	s.next++
	s.stats.Appends++
	s.stats.AppendBytes += uint64(len(b))
	s.stats.LogBytes = s.size
	if s.size >= s.cfg.CompactBytes {
		select {
		case s.compact <- struct{}{}:
		default:
		}
	}
	return nil
}

// Sync returns once every delta handed out by TakeDelta before the call is
// on stable storage, or ctx ended, or the log failed. Concurrent callers
// share one fdatasync: whoever finds no sync running starts one covering
// everything written so far, the others wait for it.
func (s *Store) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.next - 1
	for {
		switch {
		case s.closed:
			return ErrClosed
		case s.err != nil:
			return s.err
		case s.synced >= target:
			return nil
		case s.syncing != nil:
			ch := s.syncing
			s.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				s.mu.Lock()
				return fmt.Errorf("durable: sync up to %d: %w", target, ctx.Err())
			}
			s.mu.Lock()
		default:
			s.syncLocked()
		}
	}
}

// syncLocked fdatasyncs the log up to what is written now, releasing s.mu
// during the call; s.syncing tells others that one is running.
func (s *Store) syncLocked() {
	ch := make(chan struct{})
	s.syncing = ch
	f, path, upTo := s.f, s.path, s.next-1
	s.mu.Unlock()
	err := recfile.SyncData(f)
	s.mu.Lock()
	s.syncing = nil
	close(ch)
	s.stats.Syncs++
	if err != nil {
		if s.err == nil {
			s.err = fmt.Errorf("durable: log is read-only after a failed sync of %s, reopen to recover: %w", path, err)
			s.cfg.Logger.Error("durable: sync failed", "file", path, "err", err)
		}
		return
	}
	s.synced = max(s.synced, upTo)
}

// waitIdleLocked waits, with s.mu held, until no sync is running.
func (s *Store) waitIdleLocked() {
	for s.syncing != nil {
		ch := s.syncing
		s.mu.Unlock()
		<-ch
		s.mu.Lock()
	}
}

// MergeDelta implements replica.State. Remote deltas are not logged: they
// are durable at their origin and in the next snapshot.
func (s *Store) MergeDelta(delta []byte) error { return s.cfg.State.MergeDelta(delta) }

// MergeState implements replica.State.
func (s *Store) MergeState(state []byte) error { return s.cfg.State.MergeState(state) }

// Snapshot implements replica.State.
func (s *Store) Snapshot() ([]byte, error) { return s.cfg.State.Snapshot() }

// Prune implements replica.State; the pruning is a local change, so its
// delta is logged by the next TakeDelta.
func (s *Store) Prune(replicas []string) error { return s.cfg.State.Prune(replicas) }

// Forget implements replica.Forgetter when the wrapped State does (and does
// nothing otherwise). Dropping markers makes no delta: a replay of the log
// brings them back, which is safe, and the next snapshot drops them.
func (s *Store) Forget(replicas []string) error {
	if f, ok := s.cfg.State.(replica.Forgetter); ok {
		return f.Forget(replicas)
	}
	return nil
}

// Stats returns a copy of the counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Close syncs what was written and closes the log. Later TakeDelta calls
// still hand out deltas but log nothing; Sync and Compact return ErrClosed.
// Close the store after the engine stopped taking deltas.
func (s *Store) Close() error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.waitIdleLocked()
	var err error
	if s.err == nil && s.synced < s.next-1 {
		if err = recfile.SyncData(s.f); err == nil {
			s.stats.Syncs++
			s.synced = s.next - 1
		}
	}
	s.closed = true
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("durable: close %s: %w", s.path, err)
	}
	return nil
}
