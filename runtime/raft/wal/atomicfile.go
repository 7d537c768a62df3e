package wal

import (
	"errors"
	"fmt"

	"github.com/dwsdk/distributed/runtime/internal/recfile"
)

// Small state files (the WAL's first index, the HardState, snapshot meta)
// are written whole and atomically by recfile.WriteAtomic: magic, length,
// CRC32C, payload; after a crash either the old or the new contents are
// read, never a mix.

const stateHeaderSize = recfile.AtomicHeaderSize

// syncDir fsyncs a directory so that creations, renames and removals of its
// entries are durable.
func syncDir(dir string) error {
	if err := recfile.SyncDir(dir); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}

// writeStateFile atomically replaces path with magic and payload.
func writeStateFile(path, magic string, payload []byte) error {
	if err := recfile.WriteAtomic(path, magic, payload); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}

// errNoStateFile is returned by readStateFile when path does not exist.
var errNoStateFile = recfile.ErrNoFile

// readStateFile returns the payload of a file written by writeStateFile,
// errNoStateFile when it does not exist, or a *CorruptError.
func readStateFile(path, magic string) ([]byte, error) {
	p, err := recfile.ReadAtomic(path, magic)
	var fe *recfile.FormatError
	switch {
	case errors.As(err, &fe):
		return nil, corruptf(path, fe.Offset, "%s", fe.Reason)
	case err != nil && err != errNoStateFile:
		return nil, fmt.Errorf("wal: %w", err)
	}
	return p, err
}
