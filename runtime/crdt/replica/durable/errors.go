package durable

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt is matched (errors.Is) by every error that reports damaged
	// files: a bad record before the end of the log, a gap in the log's
	// sequence numbers, a damaged snapshot. The concrete error is a
	// *CorruptError.
	ErrCorrupt = errors.New("durable: corrupt data")
	// ErrClosed is returned by Sync and Compact after Close.
	ErrClosed = errors.New("durable: store closed")
)

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
	return fmt.Sprintf("durable: corrupt data in %s at offset %d: %s", e.Path, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corruptf(path string, off int64, format string, args ...any) error {
	return &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(format, args...)}
}
