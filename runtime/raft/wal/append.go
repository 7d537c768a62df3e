package wal

import (
	"fmt"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
)

// batch is what the committer writes with one fsync: the encoded records of
// every append queued since the last batch, and the callers to notify.
type batch struct {
	buf     []byte
	recs    []pendingRec
	waiters []chan error
}

type pendingRec struct {
	entry raftwire.Entry // Data copied, owned by the WAL (for the cache)
	n     uint32         // payload length; the record is recordHeaderSize+n bytes of buf
	seg   *segment       // where the committer wrote it
	off   int64
}

// Append stores entries durably before it returns; see raft.LogStore. When
// entries[0].Index is at or below LastIndex the conflicting suffix is deleted
// first. The entries must be contiguous and start at or below LastIndex+1;
// an Append below FirstIndex fails with raft.ErrCompacted. When no write is
// in progress the caller writes and syncs its entries itself (no goroutine
// hand-off on the latency path); otherwise they join the next batch.
func (w *WAL) Append(entries []raftwire.Entry) error {
	ch := make(chan error, 1)
	lead, err := w.enqueue(entries, ch, true)
	if err != nil {
		return err
	}
	if lead {
		w.mu.Lock()
		w.drainLocked()
		w.mu.Unlock()
	}
	return <-ch
}

// AppendAsync queues entries and returns a channel that receives the
// outcome once they are durable (nil) or failed. Appends are ordered by the
// AppendAsync calls, so a caller that assigns indexes under its own lock can
// call AppendAsync under that lock and wait outside it: many callers then
// share one fsync. The entries become visible to readers (LastIndex,
// Entries) only once durable. The caller must not modify entries until the
// channel has delivered.
func (w *WAL) AppendAsync(entries []raftwire.Entry) <-chan error {
	ch := make(chan error, 1)
	if _, err := w.enqueue(entries, ch, false); err != nil {
		ch <- err
	}
	return ch
}

// enqueue validates entries and queues them, with ch to be told the
// outcome. When nothing is being written, it either makes the caller the
// writer (lead, when inline: the caller must call drainLocked) or wakes the
// committer goroutine. Invariant: queued entries imply a writer (busy) or a
// pending wake-up of the committer.
func (w *WAL) enqueue(entries []raftwire.Entry, ch chan error, inline bool) (lead bool, err error) {
	if len(entries) == 0 {
		w.mu.RLock()
		defer w.mu.RUnlock()
		if err := w.usableLocked(); err != nil {
			return false, err
		}
		ch <- nil
		return false, nil
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].Index != entries[0].Index+uint64(i) {
			return false, fmt.Errorf("wal: append: entry %d has index %d, want %d (entries must be contiguous)",
				i, entries[i].Index, entries[0].Index+uint64(i))
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.exclusive > 0 && !w.closed {
		w.cond.Wait()
	}
	if err := w.usableLocked(); err != nil {
		return false, err
	}
	idx := entries[0].Index
	for idx != w.next {
		switch {
		case idx > w.next:
			return false, fmt.Errorf("wal: append at index %d would leave a gap after %d: %w", idx, w.next-1, raft.ErrUnavailable)
		case idx < w.first:
			return false, fmt.Errorf("wal: append at index %d below first index %d: %w", idx, w.first, raft.ErrCompacted)
		case w.busy || len(w.pending.recs) > 0:
			// The conflicting suffix may still be in flight: let it land,
			// then look again (the log may have changed meanwhile).
			if err := w.waitQuietLocked(); err != nil {
				return false, err
			}
		default:
			if err := w.truncateSuffixLocked(idx); err != nil {
				w.err = err
				return false, err
			}
		}
	}

	b := &w.pending
	mark, nrecs := len(b.buf), len(b.recs)
	var total int
	for i := range entries {
		total += len(entries[i].Data)
	}
	arena := make([]byte, 0, total)
	for i := range entries {
		e := &entries[i]
		var start int
		var err error
		b.buf, start = beginRecord(b.buf)
		if b.buf, err = e.AppendBinary(b.buf); err != nil {
			b.buf, b.recs = b.buf[:mark], b.recs[:nrecs]
			return false, fmt.Errorf("wal: encode entry %d: %w", e.Index, err)
		}
		finishRecord(b.buf, start)
		c := *e
		if e.Data != nil { // keep nil as nil, as the decoder does
			arena = append(arena, e.Data...)
			c.Data = arena[len(arena)-len(e.Data) : len(arena) : len(arena)]
		}
		b.recs = append(b.recs, pendingRec{entry: c, n: uint32(len(b.buf) - start - recordHeaderSize)})
	}
	b.waiters = append(b.waiters, ch)
	w.next = idx + uint64(len(entries))
	w.stats.appends.Add(1)
	switch {
	case w.busy: // the writer drains the queue before it stops
	case inline:
		w.busy = true
		return true, nil
	default:
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return false, nil
}

// waitQuietLocked waits, with mu held, until nothing is queued or being
// written, holding off new appends meanwhile.
func (w *WAL) waitQuietLocked() error {
	w.exclusive++
	for (w.busy || len(w.pending.recs) > 0) && w.err == nil {
		w.cond.Wait()
	}
	w.exclusive--
	w.cond.Broadcast()
	return w.usableLocked()
}

// run is the committer: it writes what AppendAsync queued when no caller
// of Append is already writing, until the WAL is closed.
func (w *WAL) run() {
	defer close(w.done)
	for {
		stopping := false
		select {
		case <-w.kick:
		case <-w.stop:
			stopping = true
		}
		w.mu.Lock()
		if !w.busy && len(w.pending.recs) > 0 {
			w.busy = true
			w.drainLocked()
		}
		w.mu.Unlock()
		if stopping {
			// Nothing can be queued after closed was set; what is queued
			// has just been drained, or is being drained by an Append.
			return
		}
	}
}

// drainLocked writes queued batches, one write and one fsync each, until
// the queue is empty. The caller holds mu and has set busy; drainLocked
// returns with mu held and busy cleared. mu is released during the I/O.
func (w *WAL) drainLocked() {
	for len(w.pending.recs) > 0 {
		b := w.pending
		w.pending = batch{buf: w.spare[:0]}
		err := w.err
		w.mu.Unlock()

		if err == nil {
			err = w.writeBatch(&b)
		}

		w.mu.Lock()
		if err == nil {
			for i := range b.recs {
				r := &b.recs[i]
				w.pos = append(w.pos, recordPos{seg: r.seg, off: r.off, n: r.n, term: r.entry.Term})
			}
			w.last = b.recs[len(b.recs)-1].entry.Index
			ents := make([]raftwire.Entry, len(b.recs))
			for i := range b.recs {
				ents[i] = b.recs[i].entry
			}
			w.cache.add(ents)
		} else if w.err == nil {
			w.err = fmt.Errorf("wal: log is read-only after a failed write, reopen to recover: %w", err)
			w.log.Error("wal: write failed", "err", err)
		}
		w.spare = b.buf
		for _, ch := range b.waiters {
			ch <- err // buffered: never blocks
		}
	}
	w.busy = false
	w.cond.Broadcast()
}

// writeBatch writes the batch to the active segment, rolling to new
// segments at SegmentSize, and syncs. It records where each record went.
func (w *WAL) writeBatch(b *batch) error {
	w.mu.RLock()
	var active *segment
	if len(w.segs) > 0 {
		active = w.segs[len(w.segs)-1]
	}
	w.mu.RUnlock()

	start, off := 0, 0 // b.buf[start:off] is the chunk not yet written to active
	flush := func() error {
		if off == start {
			return nil
		}
		if _, err := active.f.WriteAt(b.buf[start:off], active.size); err != nil {
			return fmt.Errorf("wal: write %s at %d: %w", active.path, active.size, err)
		}
		if err := syncData(active.f); err != nil {
			return fmt.Errorf("wal: sync %s: %w", active.path, err)
		}
		w.stats.syncs.Add(1)
		w.stats.bytes.Add(uint64(off - start))
		active.size += int64(off - start)
		start = off
		return nil
	}
	for i := range b.recs {
		r := &b.recs[i]
		size := recordHeaderSize + int(r.n)
		used := int64(-1)
		if active != nil {
			used = active.size + int64(off-start)
		}
		if active == nil || used > int64(len(segmentMagic)) && used+int64(size) > w.cfg.SegmentSize {
			if err := flush(); err != nil {
				return err
			}
			s, err := createSegment(w.dir, r.entry.Index)
			if err != nil {
				return err
			}
			w.mu.Lock()
			w.segs = append(w.segs, s)
			w.mu.Unlock()
			active = s
		}
		r.seg, r.off = active, active.size+int64(off-start)
		off += size
	}
	if err := flush(); err != nil {
		return err
	}
	w.stats.batches.Add(1)
	w.stats.entries.Add(uint64(len(b.recs)))
	return nil
}
