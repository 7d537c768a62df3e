package durable

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/internal/recfile"
)

// The snapshot is one atomically replaced file holding a replicawire.State:
// the whole encoded state, and in Seq the last log sequence number it
// covers.
const (
	snapFile  = "crdt.snap"
	snapMagic = "DWCRDTS\n"
)

// readSnapshot returns the snapshot in dir, or nil when there is none.
func readSnapshot(dir string) (*replicawire.State, error) {
	path := filepath.Join(dir, snapFile)
	p, err := recfile.ReadAtomic(path, snapMagic)
	return decodeSnapshot(path, p, err)
}

// decodeSnapshot turns what recfile.ReadAtomic returned for path into the
// snapshot.
func decodeSnapshot(path string, p []byte, err error) (*replicawire.State, error) {
	var fe *recfile.FormatError
	switch {
	case errors.Is(err, recfile.ErrNoFile):
		return nil, nil
	case errors.As(err, &fe):
		return nil, corruptf(path, fe.Offset, "%s", fe.Reason)
	case err != nil:
		return nil, fmt.Errorf("durable: %w", err)
	}
	s := new(replicawire.State)
	if err := s.UnmarshalBinary(p); err != nil {
		return nil, corruptf(path, recfile.AtomicHeaderSize, "decode snapshot: %v", err)
	}
	return s, nil
}

// writeSnapshot atomically replaces the snapshot in dir.
func writeSnapshot(dir string, s *replicawire.State) error {
	p, err := s.MarshalBinary()
	if err != nil {
		return fmt.Errorf("durable: encode snapshot: %w", err)
	}
	if err := recfile.WriteAtomic(filepath.Join(dir, snapFile), snapMagic, p); err != nil {
		return fmt.Errorf("durable: %w", err)
	}
	return nil
}
