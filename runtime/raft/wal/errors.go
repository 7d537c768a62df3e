package wal

import (
	"errors"
	"fmt"
)

// ErrCorrupt is matched (errors.Is) by every error that reports damaged
// on-disk data: a record whose checksum fails in the middle of the log, a
// segment with a bad header, a gap between segments, a damaged state or
// snapshot file. The store refuses to open rather than drop data that may
// have been acknowledged; the concrete error is a *CorruptError naming the
// file and byte offset.
var ErrCorrupt = errors.New("wal: corrupt data")

// CorruptError says which file is damaged, where, and how.
type CorruptError struct {
	// Path is the damaged file.
	Path string
	// Offset is the byte offset in Path of the damaged record or field.
	Offset int64
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: corrupt data in %s at offset %d: %s", e.Path, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corruptf(path string, off int64, format string, args ...any) error {
	return &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(format, args...)}
}
