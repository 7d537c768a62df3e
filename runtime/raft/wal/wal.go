package wal

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/internal/recfile"
	"github.com/dwsdk/distributed/runtime/raft"
)

// WAL is a segmented write-ahead log implementing raft.LogStore. All methods
// are safe for concurrent use. Append returns once the entries are on stable
// storage; concurrent appends share one fsync.
type WAL struct {
	dir  string
	cfg  Config
	log  *slog.Logger
	lock *os.File // flocked dir/LOCK; nil where unsupported

	// mu guards the fields below. Readers take it shared; the committer
	// takes it exclusively only to pick up a batch and to publish it, never
	// while writing or syncing.
	mu   sync.RWMutex
	cond *sync.Cond // on &mu: batch finished, exclusive section ended, closed

	first, last uint64      // durable, visible entries [first, last]
	pos         []recordPos // pos[i] locates entry first+i
	segs        []*segment  // in log order; the last one is active
	cache       entryCache
	err         error // sticky: a write or sync failed, the log is read-only
	closed      bool

	next      uint64 // index the next appended entry must carry (last+1 plus queued)
	pending   batch  // queued for the committer
	busy      bool   // the committer is writing a batch
	exclusive int    // truncations waiting for the committer to go idle
	spare     []byte // recycled batch buffer

	stats walCounters

	kick chan struct{} // wakes the committer; capacity 1
	stop chan struct{}
	done chan struct{}
}

// recordPos locates one entry on disk.
type recordPos struct {
	seg  *segment
	off  int64  // offset of the record header
	n    uint32 // payload length
	term uint64
}

// The first-index file records the first index durably (TruncatePrefix,
// Reset). Its payload is the index (8 bytes, little endian), followed, only
// while a Reset is under way, by one byte 1: every segment file is stale
// and recovery deletes them all before loading anything.
const firstIndexFile = "first-index"
const firstIndexMagic = "DWWALFI\n"

// writeFirstIndex durably records first and whether every segment on disk
// is to be discarded.
func (w *WAL) writeFirstIndex(first uint64, discardSegments bool) error {
	p := binary.LittleEndian.AppendUint64(nil, first)
	if discardSegments {
		p = append(p, 1)
	}
	return writeStateFile(filepath.Join(w.dir, firstIndexFile), firstIndexMagic, p)
}

// Open opens the WAL in dir, creating the directory if needed, locks it
// against a second opener (ErrLocked) and recovers its contents. A record torn by a crash at the end of the last segment is
// truncated away (it was never acknowledged). Damage anywhere else is
// reported as a *CorruptError (errors.Is(err, ErrCorrupt)) naming the
// segment file and offset, and nothing is changed on disk.
func Open(dir string, cfg Config) (*WAL, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	w := &WAL{
		dir:   dir,
		cfg:   cfg,
		log:   cfg.Logger.With("wal", dir),
		cache: entryCache{max: cfg.CacheEntries},
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	w.cond = sync.NewCond(&w.mu)
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	w.lock = lock
	if err := w.recover(); err != nil {
		for _, s := range w.segs {
			s.f.Close()
		}
		w.unlock()
		return nil, err
	}
	w.next = w.last + 1
	go w.run()
	return w, nil
}

// Dir returns the directory the WAL lives in.
func (w *WAL) Dir() string { return w.dir }

// recover loads every segment, truncates a torn tail and applies the
// durable first index left by TruncatePrefix or Reset, finishing a Reset
// that a crash interrupted.
func (w *WAL) recover() error {
	os.Remove(filepath.Join(w.dir, firstIndexFile+".tmp"))
	idxs, err := listSegments(w.dir)
	if err != nil {
		return err
	}
	var first uint64
	switch p, err := readStateFile(filepath.Join(w.dir, firstIndexFile), firstIndexMagic); {
	case err == errNoStateFile:
		first = 1
		if len(idxs) > 0 {
			first = idxs[0]
		}
	case err != nil:
		return err
	case len(p) == 9 && p[8] == 1:
		// Reset crashed after recording its intent: finish it.
		first = binary.LittleEndian.Uint64(p)
		if err := w.discardSegments(idxs, first); err != nil {
			return err
		}
		idxs = nil
	case len(p) != 8:
		return corruptf(filepath.Join(w.dir, firstIndexFile), stateHeaderSize, "payload is %d bytes, want 8 (or 9 with the reset flag)", len(p))
	default:
		first = binary.LittleEndian.Uint64(p)
	}

	var base uint64 // index of pos[0]
	for i, si := range idxs {
		expect := base + uint64(len(w.pos))
		if i == 0 {
			base, expect = si, si
		}
		if si != expect {
			return corruptf(filepath.Join(w.dir, segmentName(si)), 0,
				"segment starts at index %d, but the previous segment ends before %d", si, expect)
		}
		if err := w.loadSegment(si, i == len(idxs)-1); err != nil {
			return err
		}
	}
	end := base + uint64(len(w.pos)) // one past the last entry on disk

	// Drop segments wholly below first (TruncatePrefix crashed before it
	// could delete them).
	removed := false
	for len(w.segs) > 0 {
		s := w.segs[0]
		segEnd := end
		if len(w.segs) > 1 {
			segEnd = w.segs[1].index
		}
		if segEnd > first {
			break
		}
		if err := s.remove(); err != nil {
			return err
		}
		removed = true
		w.segs = w.segs[1:]
		n := min(segEnd-base, uint64(len(w.pos)))
		w.pos = w.pos[n:]
		base += n
	}
	if removed {
		if err := syncDir(w.dir); err != nil {
			return err
		}
	}
	if len(w.segs) == 0 {
		w.pos = nil
		w.first, w.last = first, first-1
		return nil
	}
	if base > first {
		return corruptf(w.segs[0].path, 0, "log starts at index %d but its recorded first index is %d", base, first)
	}
	w.pos = append([]recordPos(nil), w.pos[first-base:]...)
	w.first = first
	w.last = first + uint64(len(w.pos)) - 1
	return nil
}

// loadSegment scans one segment, appending its records to w.pos and the
// segment to w.segs. In the last segment a torn tail is truncated.
func (w *WAL) loadSegment(si uint64, last bool) error {
	path := filepath.Join(w.dir, segmentName(si))
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("wal: read segment %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: open segment %s: %w", path, err)
	}
	s := &segment{index: si, path: path, f: f, size: int64(len(data))}
	w.segs = append(w.segs, s)

	if len(data) < len(segmentMagic) || string(data[:len(segmentMagic)]) != segmentMagic {
		torn := len(data) < len(segmentMagic) && string(data) == segmentMagic[:len(data)] || recfile.AllZero(data)
		if !last || !torn {
			return corruptf(path, 0, "bad segment header %q", data[:min(len(data), len(segmentMagic))])
		}
		w.log.Warn("wal: rewriting torn segment header", "segment", path, "bytes", len(data))
		if err := s.truncate(0); err != nil {
			return err
		}
		if _, err := f.WriteAt([]byte(segmentMagic), 0); err != nil {
			return fmt.Errorf("wal: rewrite header of %s: %w", path, err)
		}
		return s.truncate(int64(len(segmentMagic)))
	}

	off := len(segmentMagic)
	next := si
	for off < len(data) {
		payload, end, st := readRecord(data, off)
		if st != recordOK {
			torn := last && recfile.Torn(data, off, end, st)
			if !torn {
				return corruptf(path, int64(off), "%v (not at the end of the log)", st)
			}
			w.log.Warn("wal: truncating torn tail", "segment", path, "offset", off,
				"bytes", len(data)-off, "reason", st.String())
			return s.truncate(int64(off))
		}
		var e raftwire.Entry
		if err := e.UnmarshalBinary(payload); err != nil {
			return corruptf(path, int64(off), "decode entry: %v", err)
		}
		if e.Index != next {
			return corruptf(path, int64(off), "entry index %d, want %d", e.Index, next)
		}
		w.pos = append(w.pos, recordPos{seg: s, off: int64(off), n: uint32(len(payload)), term: e.Term})
		next++
		off = end
	}
	if next == si && !last {
		return corruptf(path, int64(off), "segment holds no entries but is not the last one")
	}
	return nil
}

// usableLocked returns why the WAL cannot be used, or nil.
func (w *WAL) usableLocked() error {
	if w.closed {
		return raft.ErrClosed
	}
	return w.err
}

// FirstIndex returns the index of the first entry held.
func (w *WAL) FirstIndex() (uint64, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return 0, raft.ErrClosed
	}
	return w.first, nil
}

// LastIndex returns the index of the last durable entry.
func (w *WAL) LastIndex() (uint64, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return 0, raft.ErrClosed
	}
	return w.last, nil
}

// Term returns the term of the entry at index from memory.
func (w *WAL) Term(index uint64) (uint64, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if err := w.boundsLocked(index, index+1); err != nil {
		return 0, err
	}
	return w.pos[index-w.first].term, nil
}

func (w *WAL) boundsLocked(lo, hi uint64) error {
	switch {
	case w.closed:
		return raft.ErrClosed
	case lo < w.first:
		return fmt.Errorf("wal: index %d below first index %d: %w", lo, w.first, raft.ErrCompacted)
	case hi > w.last+1:
		return fmt.Errorf("wal: index %d above last index %d: %w", hi-1, w.last, raft.ErrUnavailable)
	}
	return nil
}

// maxReadRun bounds the bytes read from a segment with one ReadAt.
const maxReadRun = 1 << 20

// Entries returns the entries in [lo, hi), limited by maxBytes as
// raft.LogStore describes. Recent entries come from the cache; older ones
// are read from the segments with their checksums verified.
func (w *WAL) Entries(lo, hi, maxBytes uint64) ([]raftwire.Entry, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if lo > hi {
		return nil, fmt.Errorf("wal: entries: lo %d > hi %d", lo, hi)
	}
	if err := w.boundsLocked(lo, hi); err != nil {
		return nil, err
	}
	out := make([]raftwire.Entry, 0, min(hi-lo, 1024))
	var size uint64
	// full reports whether adding n data bytes would exceed maxBytes.
	full := func(n int) bool {
		if maxBytes > 0 && len(out) > 0 && size+uint64(n) > maxBytes {
			return true
		}
		size += uint64(n)
		return false
	}
	for i := lo; i < hi; {
		if e, ok := w.cache.get(i); ok {
			if full(len(e.Data)) {
				break
			}
			out = append(out, *e)
			i++
			continue
		}
		// Read a run of uncached records of one segment with one ReadAt.
		p0 := w.pos[i-w.first]
		j := i + 1
		for ; j < hi; j++ {
			p := w.pos[j-w.first]
			if _, ok := w.cache.get(j); ok || p.seg != p0.seg || p.off+int64(p.n)-p0.off > maxReadRun {
				break
			}
		}
		pl := w.pos[j-1-w.first]
		buf := make([]byte, pl.off+recordHeaderSize+int64(pl.n)-p0.off)
		if _, err := p0.seg.f.ReadAt(buf, p0.off); err != nil {
			return nil, fmt.Errorf("wal: read %s at %d: %w", p0.seg.path, p0.off, err)
		}
		for ; i < j; i++ {
			p := w.pos[i-w.first]
			payload, _, st := readRecord(buf, int(p.off-p0.off))
			if st != recordOK {
				return nil, corruptf(p.seg.path, p.off, "%v", st)
			}
			var e raftwire.Entry
			if err := e.UnmarshalBinary(payload); err != nil {
				return nil, corruptf(p.seg.path, p.off, "decode entry: %v", err)
			}
			if e.Index != i {
				return nil, corruptf(p.seg.path, p.off, "entry index %d, want %d", e.Index, i)
			}
			if full(len(e.Data)) {
				return out, nil
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Close waits for queued appends to finish, stops the committer and closes
// the segment files. Every later call returns raft.ErrClosed; closing twice
// is a no-op.
func (w *WAL) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	close(w.stop)
	<-w.done

	w.mu.Lock()
	defer w.mu.Unlock()
	for w.busy { // an Append still writing
		w.cond.Wait()
	}
	var err error
	for _, s := range w.segs {
		if cerr := s.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("wal: close %s: %w", s.path, cerr)
		}
	}
	w.segs, w.pos = nil, nil
	w.cache.ents = nil
	w.unlock()
	return err
}

func (w *WAL) unlock() {
	if w.lock != nil {
		w.lock.Close() // closing the descriptor drops the flock
		w.lock = nil
	}
}

var _ raft.LogStore = (*WAL)(nil)
