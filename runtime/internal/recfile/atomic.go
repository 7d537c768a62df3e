package recfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Small files (a log's first index, a Raft HardState, snapshot metadata, a
// CRDT state snapshot) are written whole and atomically: to a temporary file
// that is fsynced, renamed over the old one, and announced with a directory
// fsync. After a crash either the old or the new contents are read, never a
// mix. Their layout is
//
//	magic [8]byte | length u32 | crc32c(payload) u32 | payload

// AtomicHeaderSize is the size of the header WriteAtomic puts before the
// payload; a FormatError about the payload has this offset.
const AtomicHeaderSize = 16

// ErrNoFile is returned by ReadAtomic when the file does not exist.
var ErrNoFile = errors.New("recfile: no such file")

// FormatError reports a damaged file: where and what.
type FormatError struct {
	Offset int64
	Reason string
}

// Error implements error.
func (e *FormatError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Reason) }

// WriteAtomic atomically replaces path with magic (8 bytes) and payload.
func WriteAtomic(path, magic string, payload []byte) error {
	if len(magic) != 8 {
		return fmt.Errorf("write %s: magic %q is not 8 bytes", path, magic)
	}
	buf := make([]byte, AtomicHeaderSize, AtomicHeaderSize+len(payload))
	copy(buf, magic)
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[12:], CRC32C(payload))
	buf = append(buf, payload...)

	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
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
		return fmt.Errorf("write %s: %w", tmp, werr)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return SyncDir(filepath.Dir(path))
}

// ReadAtomic returns the payload of a file written by WriteAtomic with the
// same magic, ErrNoFile when it does not exist, a *FormatError when it is
// damaged, or the read error.
func ReadAtomic(path, magic string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoFile
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ParseAtomic(b, magic)
}

// ParseAtomic checks the contents of a file written by WriteAtomic and
// returns its payload (aliasing b), or a *FormatError.
func ParseAtomic(b []byte, magic string) ([]byte, error) {
	if len(b) < AtomicHeaderSize {
		return nil, &FormatError{0, fmt.Sprintf("file is %d bytes, shorter than its %d-byte header", len(b), AtomicHeaderSize)}
	}
	if string(b[:8]) != magic {
		return nil, &FormatError{0, fmt.Sprintf("bad magic %q, want %q", b[:8], magic)}
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if uint64(n) != uint64(len(b)-AtomicHeaderSize) {
		return nil, &FormatError{8, fmt.Sprintf("length field says %d payload bytes, file holds %d", n, len(b)-AtomicHeaderSize)}
	}
	p := b[AtomicHeaderSize:]
	if CRC32C(p) != binary.LittleEndian.Uint32(b[12:]) {
		return nil, &FormatError{AtomicHeaderSize, "payload checksum mismatch"}
	}
	return p, nil
}

// SyncDir fsyncs a directory so that creations, renames and removals of its
// entries are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
