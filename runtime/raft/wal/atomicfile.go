package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Small state files (the WAL's first index, the HardState, snapshot meta)
// are written whole and atomically: to a temporary file that is fsynced,
// renamed over the old one, and announced with a directory fsync. After a
// crash either the old or the new contents are read, never a mix. Their
// layout is
//
//	magic [8]byte | length u32 | crc32c(payload) u32 | payload

const stateHeaderSize = 16

// syncDir fsyncs a directory so that creations, renames and removals of its
// entries are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wal: sync dir %s: %w", dir, err)
	}
	return nil
}

// writeStateFile atomically replaces path with magic and payload.
func writeStateFile(path, magic string, payload []byte) error {
	buf := make([]byte, stateHeaderSize, stateHeaderSize+len(payload))
	copy(buf, magic)
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[12:], crc32c(payload))
	buf = append(buf, payload...)

	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("wal: create %s: %w", tmp, err)
	}
	_, werr := f.Write(buf)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("wal: write %s: %w", tmp, werr)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wal: rename %s: %w", tmp, err)
	}
	return syncDir(filepath.Dir(path))
}

// errNoStateFile is returned by readStateFile when path does not exist.
var errNoStateFile = errors.New("wal: no state file")

// readStateFile returns the payload of a file written by writeStateFile,
// errNoStateFile when it does not exist, or a *CorruptError.
func readStateFile(path, magic string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoStateFile
	}
	if err != nil {
		return nil, fmt.Errorf("wal: read %s: %w", path, err)
	}
	if len(b) < stateHeaderSize {
		return nil, corruptf(path, 0, "file is %d bytes, shorter than its %d-byte header", len(b), stateHeaderSize)
	}
	if string(b[:8]) != magic {
		return nil, corruptf(path, 0, "bad magic %q, want %q", b[:8], magic)
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if uint64(n) != uint64(len(b)-stateHeaderSize) {
		return nil, corruptf(path, 8, "length field says %d payload bytes, file holds %d", n, len(b)-stateHeaderSize)
	}
	p := b[stateHeaderSize:]
	if crc32c(p) != binary.LittleEndian.Uint32(b[12:]) {
		return nil, corruptf(path, stateHeaderSize, "payload checksum mismatch")
	}
	return p, nil
}
