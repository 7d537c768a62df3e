package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
)

const (
	hardStateFile  = "hardstate"
	hardStateMagic = "DWHARDS\n"
)

// StableStore keeps the raft.HardState in one small file, replaced
// atomically on every save: written to a temporary file, fsynced, renamed
// over the old one, and the directory fsynced. The payload is the binary
// HardState with a CRC32C, so a damaged file is reported (ErrCorrupt), never
// read as a wrong vote. Safe for concurrent use.
type StableStore struct {
	path string
	mu   sync.Mutex
	buf  []byte
}

// OpenStableStore opens the stable store in dir, creating dir if needed.
func OpenStableStore(dir string) (*StableStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, hardStateFile)
	os.Remove(path + ".tmp")
	s := &StableStore{path: path}
	if _, err := s.LoadHardState(); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadHardState returns the last saved state, or the zero HardState when
// nothing was ever saved.
func (s *StableStore) LoadHardState() (raftwire.HardState, error) {
	var hs raftwire.HardState
	p, err := readStateFile(s.path, hardStateMagic)
	switch {
	case err == errNoStateFile:
		return hs, nil
	case err != nil:
		return hs, err
	}
	if err := hs.UnmarshalBinary(p); err != nil {
		return hs, corruptf(s.path, stateHeaderSize, "decode hard state: %v", err)
	}
	return hs, nil
}

// SaveHardState replaces the saved state durably and atomically.
func (s *StableStore) SaveHardState(hs raftwire.HardState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.buf, err = hs.AppendBinary(s.buf[:0]); err != nil {
		return fmt.Errorf("wal: encode hard state: %w", err)
	}
	return writeStateFile(s.path, hardStateMagic, s.buf)
}

var _ raft.StableStore = (*StableStore)(nil)
