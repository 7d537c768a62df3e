package wal

import (
	"encoding/binary"
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
	if err := writeStateFile(filepath.Join(w.dir, firstIndexFile), firstIndexMagic,
		binary.LittleEndian.AppendUint64(nil, newFirst)); err != nil {
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
