package durable

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/internal/recfile"
)

// Compact replaces the log written so far with a snapshot of the whole
// state: it syncs the log, starts a new log file (later deltas go there),
// snapshots the state (which holds every delta of the old files, since a
// delta is taken only after its update was applied), writes the snapshot
// atomically and deletes the old files. A crash at any point leaves either
// the old files or the new snapshot, each complete. It does nothing when no
// delta was logged since the last snapshot.
func (s *Store) Compact() error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()

	s.mu.Lock()
	s.waitIdleLocked()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrClosed
	case s.err != nil:
		s.mu.Unlock()
		return s.err
	case s.next == s.first:
		s.mu.Unlock()
		return nil
	}
	old, oldPath, covered := s.f, s.path, s.next-1
	if err := recfile.SyncData(old); err != nil {
		s.err = fmt.Errorf("durable: log is read-only after a failed sync of %s, reopen to recover: %w", oldPath, err)
		s.mu.Unlock()
		return s.err
	}
	s.stats.Syncs++
	s.synced = covered
	f, err := createLog(s.cfg.Dir, s.next)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.f, s.path, s.size, s.first = f, filepath.Join(s.cfg.Dir, logName(s.next)), int64(len(logMagic)), s.next
	s.stats.LogBytes = s.size
	s.mu.Unlock()
	old.Close()

	data, err := s.cfg.State.Snapshot()
	if err != nil {
		return fmt.Errorf("durable: compact: snapshot: %w", err)
	}
	if err := writeSnapshot(s.cfg.Dir, &replicawire.State{Seq: covered, Data: data}); err != nil {
		return err
	}
	s.mu.Lock()
	s.snapSeq = covered
	s.stats.Compactions++
	first := s.first
	s.mu.Unlock()
	s.cfg.Logger.Debug("durable: compacted", "dir", s.cfg.Dir, "covers", covered, "snapshot_bytes", len(data))
	return removeLogsBefore(s.cfg.Dir, first)
}

// Run compacts whenever the log passes Config.CompactBytes, until ctx
// ends; it returns nil then. Compaction errors are logged and retried at the
// next trigger.
func (s *Store) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.compact:
			if err := s.Compact(); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Error("durable: compaction failed", "dir", s.cfg.Dir, "err", err)
			}
		}
	}
}
