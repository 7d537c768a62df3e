package raft

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// raftLog is a node's view of its log: the entries in the LogStore plus an
// in-memory tail of recent entries, some of which may not be durable yet.
// The core goroutine is the only writer; replication goroutines and the
// applier read concurrently. lastIndex and lastTerm are atomics so the
// heartbeat path can read them without the lock.
type raftLog struct {
	store LogStore

	mu rwmutex
	// prevIndex is the index just before the first entry held (the
	// compaction point); prevTerm is its term when known.
	prevIndex    uint64
	prevTerm     uint64
	prevTermOK   bool
	tail         []raftwire.Entry // contiguous; tail[0].Index == tailStart
	tailStart    uint64
	persisted    uint64 // the store holds the current log up to here
	truncSeq     uint64 // write sequence of the last suffix truncation
	maxTailCache int

	last     atomic.Uint64
	lastTerm atomic.Uint64
}

func newRaftLog(store LogStore, snap raftwire.SnapshotMeta, hasSnap bool) (*raftLog, error) {
	first, err := store.FirstIndex()
	if err != nil {
		return nil, fmt.Errorf("raft: log first index: %w", err)
	}
	last, err := store.LastIndex()
	if err != nil {
		return nil, fmt.Errorf("raft: log last index: %w", err)
	}
	var covered uint64 // the snapshot covers the log up to here
	if hasSnap {
		covered = snap.Index
	}
	if first-1 > covered {
		// Compaction only follows a durable snapshot: the snapshot that
		// covered these entries is lost or unreadable.
		return nil, fmt.Errorf("%w: log starts at index %d but the snapshot covers only up to %d: entries %d to %d are missing",
			ErrStorage, first, covered, covered+1, first-1)
	}
	l := &raftLog{store: store, prevIndex: first - 1, persisted: last, tailStart: last + 1, maxTailCache: 16384}
	lastTerm := uint64(0)
	if last >= first {
		if lastTerm, err = store.Term(last); err != nil {
			return nil, fmt.Errorf("raft: log term of last index %d: %w", last, err)
		}
	}
	if hasSnap && snap.Index >= l.prevIndex {
		// The entries after the snapshot continue from it when the store
		// starts right after it, or holds its last entry with its term.
		keep := snap.Index == first-1
		if snap.Index <= last && snap.Index >= first {
			t, err := store.Term(snap.Index)
			keep = err == nil && t == snap.Term
		}
		switch {
		case !keep:
			// The log conflicts with the snapshot, or ends before it (a
			// crash between installing a snapshot and cutting the log):
			// none of it is kept (Figure 13, rule 7).
			if err := store.Reset(snap.Index); err != nil {
				return nil, fmt.Errorf("raft: discard log conflicting with snapshot %d: %w", snap.Index, err)
			}
		case snap.Index > l.prevIndex:
			// The snapshot covers entries the store still holds (a crash
			// between installing a snapshot and compacting): drop them now.
			if err := store.TruncatePrefix(snap.Index); err != nil {
				return nil, fmt.Errorf("raft: compact log to snapshot %d: %w", snap.Index, err)
			}
		}
		l.prevIndex, l.prevTerm, l.prevTermOK = snap.Index, snap.Term, true
		if !keep {
			last, lastTerm = snap.Index, snap.Term
			l.persisted = last
			l.tailStart = last + 1
		}
	} else if l.prevIndex == 0 {
		l.prevTermOK = true
	}
	l.last.Store(last)
	l.lastTerm.Store(lastTerm)
	return l, nil
}

func (l *raftLog) lastIndex() uint64 { return l.last.Load() }

// firstIndex is the index of the first entry held.
func (l *raftLog) firstIndex() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.prevIndex + 1
}

// term returns the term of the entry at index i.
func (l *raftLog) term(i uint64) (uint64, error) {
	if i == 0 {
		return 0, nil
	}
	l.mu.RLock()
	switch {
	case i < l.prevIndex:
		l.mu.RUnlock()
		return 0, ErrCompacted
	case i == l.prevIndex:
		t, ok := l.prevTerm, l.prevTermOK
		l.mu.RUnlock()
		if !ok {
			return 0, ErrCompacted
		}
		return t, nil
	case i > l.last.Load():
		l.mu.RUnlock()
		return 0, ErrUnavailable
	case i >= l.tailStart:
		t := l.tail[i-l.tailStart].Term
		l.mu.RUnlock()
		return t, nil
	}
	l.mu.RUnlock()
	t, err := l.store.Term(i)
	if err != nil {
		return 0, fmt.Errorf("raft: term of entry %d: %w", i, err)
	}
	return t, nil
}

// entries returns entries in [lo, hi), at least one when lo < hi, stopping
// once maxBytes of command data are exceeded (0: no limit).
func (l *raftLog) entries(lo, hi, maxBytes uint64) ([]raftwire.Entry, error) {
	if lo >= hi {
		return nil, nil
	}
	l.mu.RLock()
	if lo <= l.prevIndex {
		l.mu.RUnlock()
		return nil, ErrCompacted
	}
	if hi > l.last.Load()+1 {
		l.mu.RUnlock()
		return nil, ErrUnavailable
	}
	tail, tailStart := l.tail, l.tailStart
	l.mu.RUnlock()

	var out []raftwire.Entry
	var size uint64
	if lo < tailStart {
		// Older entries come from the store, read outside the lock: only
		// committed entries (the applier) or a leader's own log (replication)
		// are read here, and neither is ever truncated.
		storeHi := min(hi, tailStart)
		ents, err := l.store.Entries(lo, storeHi, maxBytes)
		if err != nil {
			if errors.Is(err, ErrCompacted) {
				return nil, ErrCompacted
			}
			return nil, fmt.Errorf("raft: read entries [%d, %d): %w", lo, storeHi, err)
		}
		if len(ents) == 0 {
			return nil, fmt.Errorf("raft: read entries [%d, %d): store returned none", lo, storeHi)
		}
		if uint64(len(ents)) < storeHi-lo || hi == storeHi {
			return ents, nil
		}
		out = ents
		for i := range ents {
			size += uint64(len(ents[i].Data))
		}
		lo = storeHi
	}
	for i := lo; i < hi; i++ {
		e := tail[i-tailStart]
		if maxBytes > 0 && len(out) > 0 && size+uint64(len(e.Data)) > maxBytes {
			break
		}
		size += uint64(len(e.Data))
		out = append(out, e)
	}
	return out, nil
}

// append adds entries after the log, first deleting any suffix from
// entries[0].Index on. seq is the write sequence that will persist them.
// Core goroutine only.
func (l *raftLog) append(entries []raftwire.Entry, seq uint64) {
	if len(entries) == 0 {
		return
	}
	first := entries[0].Index
	l.mu.Lock()
	last := l.last.Load()
	switch {
	case first <= last:
		// Conflicting suffix: build a fresh slice so concurrent readers of
		// the old one never see it change.
		if first >= l.tailStart && len(l.tail) > 0 {
			keep := first - l.tailStart
			nt := make([]raftwire.Entry, keep, int(keep)+len(entries))
			copy(nt, l.tail[:keep])
			l.tail = append(nt, entries...)
		} else {
			l.tail = append([]raftwire.Entry(nil), entries...)
			l.tailStart = first
		}
		l.persisted = min(l.persisted, first-1)
		l.truncSeq = seq
	default:
		if len(l.tail) == 0 {
			l.tailStart = first
		}
		l.tail = append(l.tail, entries...)
	}
	l.trimTailLocked()
	e := entries[len(entries)-1]
	l.lastTerm.Store(e.Term)
	l.last.Store(e.Index)
	l.mu.Unlock()
}

// trimTailLocked drops durable entries from the front of the in-memory tail
// once it is larger than the cache bound.
func (l *raftLog) trimTailLocked() {
	if len(l.tail) <= l.maxTailCache {
		return
	}
	drop := len(l.tail) - l.maxTailCache/2
	if l.persisted < l.tailStart {
		return
	}
	drop = min(drop, int(l.persisted-l.tailStart+1))
	if drop <= 0 {
		return
	}
	nt := make([]raftwire.Entry, len(l.tail)-drop, max(len(l.tail)-drop, l.maxTailCache)+1024)
	copy(nt, l.tail[drop:])
	l.tail = nt
	l.tailStart += uint64(drop)
}

// markPersisted records that the write with sequence seq stored the log up
// to index. Writer goroutine.
func (l *raftLog) markPersisted(seq, index uint64) {
	l.mu.Lock()
	if seq >= l.truncSeq && index > l.persisted {
		l.persisted = index
	}
	l.mu.Unlock()
}

// compact forgets entries up to index (covered by a snapshot). Core only.
func (l *raftLog) compact(index, term uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if index <= l.prevIndex {
		return
	}
	l.prevIndex, l.prevTerm, l.prevTermOK = index, term, true
	if index >= l.tailStart && len(l.tail) > 0 {
		drop := min(int(index-l.tailStart+1), len(l.tail))
		l.tail = append([]raftwire.Entry(nil), l.tail[drop:]...)
		l.tailStart = index + 1
	}
}

// restore resets the log to a snapshot's position, keeping the entries after
// it when the log holds the snapshot's last entry (it reports whether it
// did). Otherwise the whole log is discarded; seq is the write sequence of
// the LogStore.Reset that discards it in the store, so that writes queued
// before it cannot mark the discarded entries persisted. Core only.
func (l *raftLog) restore(index, term, seq uint64) (kept bool) {
	if index <= l.last.Load() {
		if t, err := l.term(index); err == nil && t == term {
			kept = true
		}
	}
	if kept {
		l.compact(index, term)
		return true
	}
	l.mu.Lock()
	l.prevIndex, l.prevTerm, l.prevTermOK = index, term, true
	l.tail = nil
	l.tailStart = index + 1
	l.persisted = index
	l.truncSeq = seq
	l.lastTerm.Store(term)
	l.last.Store(index)
	l.mu.Unlock()
	return false
}
