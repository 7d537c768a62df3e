//go:build !unix

package wal

import (
	"errors"
	"os"
)

// ErrLocked is returned by Open when another WAL has the directory open.
// Without flock it is never returned.
var ErrLocked = errors.New("wal: directory in use")

// lockDir is a no-op where flock is unavailable.
func lockDir(string) (*os.File, error) { return nil, nil }
