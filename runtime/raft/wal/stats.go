package wal

import "sync/atomic"

// Stats are a WAL's counters since Open, for export as metrics.
type Stats struct {
	// Appends counts Append and AppendAsync calls that queued entries.
	Appends uint64
	// Entries and Bytes count what was written (Bytes includes framing).
	Entries, Bytes uint64
	// Batches counts committer writes; Syncs counts segment fsyncs (a batch
	// that rolls to a new segment syncs the old one too). Appends/Batches
	// is how many callers shared an fsync.
	Batches, Syncs uint64
	// Segments is the number of segment files now.
	Segments int
}

type walCounters struct {
	appends, entries, bytes, batches, syncs atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (w *WAL) Stats() Stats {
	w.mu.RLock()
	segs := len(w.segs)
	w.mu.RUnlock()
	c := &w.stats
	return Stats{
		Appends: c.appends.Load(), Entries: c.entries.Load(), Bytes: c.bytes.Load(),
		Batches: c.batches.Load(), Syncs: c.syncs.Load(), Segments: segs,
	}
}
