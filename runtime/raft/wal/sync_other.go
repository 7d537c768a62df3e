//go:build !linux

package wal

import "os"

// syncData makes the file's data durable; see sync_linux.go.
func syncData(f *os.File) error { return f.Sync() }
