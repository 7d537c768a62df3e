package raft

import (
	"bytes"
	"fmt"
	"io"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// MemLogStore is an in-memory LogStore for tests. It keeps what it is given
// across Node restarts, so a test can "crash" a node and restart it from the
// same store. Entry data is not copied: callers must not modify it.
type MemLogStore struct {
	mu      rwmutex
	first   uint64
	entries []raftwire.Entry
	closed  bool
}

// NewMemLogStore returns an empty MemLogStore.
func NewMemLogStore() *MemLogStore { return &MemLogStore{first: 1} }

var _ LogStore = (*MemLogStore)(nil)

func (s *MemLogStore) lastLocked() uint64 { return s.first + uint64(len(s.entries)) - 1 }

// FirstIndex implements LogStore.
func (s *MemLogStore) FirstIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	return s.first, nil
}

// LastIndex implements LogStore.
func (s *MemLogStore) LastIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	return s.lastLocked(), nil
}

// Term implements LogStore.
func (s *MemLogStore) Term(index uint64) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.closed:
		return 0, ErrClosed
	case index < s.first:
		return 0, ErrCompacted
	case index > s.lastLocked():
		return 0, ErrUnavailable
	}
	return s.entries[index-s.first].Term, nil
}

// Entries implements LogStore.
func (s *MemLogStore) Entries(lo, hi, maxBytes uint64) ([]raftwire.Entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.closed:
		return nil, ErrClosed
	case lo < s.first:
		return nil, ErrCompacted
	case hi > s.lastLocked()+1:
		return nil, ErrUnavailable
	case lo >= hi:
		return nil, nil
	}
	src := s.entries[lo-s.first : hi-s.first]
	n, size := 0, uint64(0)
	for n < len(src) {
		size += uint64(len(src[n].Data))
		if maxBytes > 0 && n > 0 && size > maxBytes {
			break
		}
		n++
	}
	return append([]raftwire.Entry(nil), src[:n]...), nil
}

// Append implements LogStore.
func (s *MemLogStore) Append(entries []raftwire.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	first := entries[0].Index
	if first < s.first || first > s.lastLocked()+1 {
		return fmt.Errorf("memlog: append at %d: log holds [%d, %d]", first, s.first, s.lastLocked())
	}
	for i := range entries {
		if entries[i].Index != first+uint64(i) {
			return fmt.Errorf("memlog: append: entry %d has index %d, want %d", i, entries[i].Index, first+uint64(i))
		}
	}
	s.entries = append(s.entries[:first-s.first], entries...)
	return nil
}

// TruncatePrefix implements LogStore.
func (s *MemLogStore) TruncatePrefix(index uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if index < s.first {
		return nil
	}
	if index >= s.lastLocked() {
		s.entries = nil
		s.first = index + 1
		return nil
	}
	s.entries = append([]raftwire.Entry(nil), s.entries[index+1-s.first:]...)
	s.first = index + 1
	return nil
}

// Reset implements LogStore.
func (s *MemLogStore) Reset(index uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.entries = nil
	s.first = index + 1
	return nil
}

// Close implements LogStore.
func (s *MemLogStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// MemStableStore is an in-memory StableStore for tests.
type MemStableStore struct {
	mu rwmutex
	hs raftwire.HardState
}

var _ StableStore = (*MemStableStore)(nil)

// NewMemStableStore returns an empty MemStableStore.
func NewMemStableStore() *MemStableStore { return &MemStableStore{} }

// LoadHardState implements StableStore.
func (s *MemStableStore) LoadHardState() (raftwire.HardState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.hs, nil
}

// SaveHardState implements StableStore.
func (s *MemStableStore) SaveHardState(hs raftwire.HardState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hs = hs
	return nil
}

// MemSnapshotStore is an in-memory SnapshotStore for tests; it keeps the
// newest snapshot only, by index then term, whatever order they end in.
type MemSnapshotStore struct {
	mu   rwmutex
	meta raftwire.SnapshotMeta
	data []byte
	has  bool
}

var _ SnapshotStore = (*MemSnapshotStore)(nil)

// NewMemSnapshotStore returns an empty MemSnapshotStore.
func NewMemSnapshotStore() *MemSnapshotStore { return &MemSnapshotStore{} }

// Create implements SnapshotStore.
func (s *MemSnapshotStore) Create(meta raftwire.SnapshotMeta) (SnapshotSink, error) {
	return &memSink{store: s, meta: meta}, nil
}

// Open implements SnapshotStore.
func (s *MemSnapshotStore) Open() (raftwire.SnapshotMeta, io.ReadCloser, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.has {
		return raftwire.SnapshotMeta{}, nil, ErrNoSnapshot
	}
	return s.meta, io.NopCloser(bytes.NewReader(s.data)), nil
}

type memSink struct {
	store *MemSnapshotStore
	meta  raftwire.SnapshotMeta
	buf   bytes.Buffer
	done  bool
}

func (k *memSink) Write(p []byte) (int, error) {
	if k.done {
		return 0, ErrClosed
	}
	return k.buf.Write(p)
}

func (k *memSink) Close() error {
	if k.done {
		return ErrClosed
	}
	k.done = true
	k.meta.Size = uint64(k.buf.Len())
	s := k.store
	s.mu.Lock()
	// Snapshots may end out of order: keep the newest, by index then
	// term (as the WAL's SnapshotStore orders them).
	if !s.has || k.meta.Index > s.meta.Index || k.meta.Index == s.meta.Index && k.meta.Term >= s.meta.Term {
		s.meta, s.data, s.has = k.meta, k.buf.Bytes(), true
	}
	s.mu.Unlock()
	return nil
}

func (k *memSink) Cancel() error {
	k.done = true
	return nil
}
