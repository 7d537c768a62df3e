//go:build !linux

package recfile

import "os"

// SyncData makes the file's data durable; see sync_linux.go.
func SyncData(f *os.File) error { return f.Sync() }
