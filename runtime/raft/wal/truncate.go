package wal

import (
	"fmt"
	"os"
	"path/filepath"
)

// TruncatePrefix deletes the entries at and below index once a snapshot
// covers them; see raft.LogStore. The new first index is recorded durably
// before any segment is deleted, and only whole segments are deleted, so
// the entries still held never move.
func (w *WAL) TruncatePrefix(index uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return err
	}
	if err := w.waitQuietLocked(); err != nil {
		return err
	}
	if index < w.first {
		return nil
	}
	newFirst := index + 1
	if err := w.writeFirstIndex(newFirst, false); err != nil {
		w.err = err
		return err
	}
	drop := len(w.segs)
	if index < w.last {
		// Keep the segment holding newFirst and everything after it.
		drop = 0
		for drop+1 < len(w.segs) && w.segs[drop+1].index <= newFirst {
			drop++
		}
	}
	for _, s := range w.segs[:drop] {
		if err := s.remove(); err != nil {
			w.err = err
			return err
		}
	}
	if drop > 0 {
		if err := syncDir(w.dir); err != nil {
			w.err = err
			return err
		}
	}
	w.segs = append([]*segment(nil), w.segs[drop:]...)
	if index >= w.last {
		w.pos = nil
		w.last = index
	} else {
		w.pos = append([]recordPos(nil), w.pos[newFirst-w.first:]...)
	}
	w.cache.truncateTo(index)
	w.first, w.next = newFirst, w.last+1
	return nil
}

// Reset deletes every entry; afterwards the log is empty and the next
// Append starts at index+1. See raft.LogStore. Crash safety: the new first
// index is recorded together with a flag saying every segment on disk is
// stale, then the segments are deleted, then the flag is cleared. A crash
// before the first step leaves the old log; after it, Open finishes the
// deletion (see recover), so no stale entry is ever read back.
func (w *WAL) Reset(index uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.waitQuietLocked(); err != nil { // also refuses a closed or failed log
		return err
	}
	newFirst := index + 1
	if err := w.writeFirstIndex(newFirst, true); err != nil {
		w.err = err
		return err
	}
	idxs := make([]uint64, len(w.segs))
	for i, s := range w.segs {
		s.f.Close()
		idxs[i] = s.index
	}
	w.segs, w.pos = nil, nil
	w.cache.truncateFrom(0)
	w.first, w.last, w.next = newFirst, index, newFirst
	if err := w.discardSegments(idxs, newFirst); err != nil {
		w.err = err
		return err
	}
	return nil
}

// discardSegments deletes the segment files starting at idxs, syncs the
// directory and then records first as the first index with the reset flag
// cleared.
func (w *WAL) discardSegments(idxs []uint64, first uint64) error {
	for _, si := range idxs {
		path := filepath.Join(w.dir, segmentName(si))
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("wal: remove %s: %w", path, err)
		}
	}
	if err := syncDir(w.dir); err != nil {
		return err
	}
	return w.writeFirstIndex(first, false)
}

// truncateSuffixLocked deletes the entries at and above index, which lies in
// [first, last], with mu held and the committer idle. Later segments are
// removed newest first, so a crash leaves a contiguous log.
func (w *WAL) truncateSuffixLocked(index uint64) error {
	p := w.pos[index-w.first]
	removed := false
	for k := len(w.segs) - 1; w.segs[k] != p.seg; k-- {
		if err := w.segs[k].remove(); err != nil {
			return err
		}
		w.segs = w.segs[:k]
		removed = true
	}
	if removed {
		if err := syncDir(w.dir); err != nil {
			return err
		}
	}
	if err := p.seg.truncate(p.off); err != nil {
		return err
	}
	w.pos = w.pos[:index-w.first]
	w.cache.truncateFrom(index)
	w.last, w.next = index-1, index
	return nil
}
