package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// A segment is one file of the log, named after the index of its first
// entry (20 decimal digits, so names sort in log order) and starting with a
// fixed magic header. Only the last segment is written to; the others are
// immutable until prefix truncation removes them whole.
type segment struct {
	index uint64 // index of the first entry the segment was created for
	path  string
	f     *os.File
	size  int64 // bytes written (the committer's write offset)
}

const (
	segmentExt   = ".wal"
	segmentMagic = "DWWAL01\n"
)

func segmentName(index uint64) string { return fmt.Sprintf("%020d%s", index, segmentExt) }

// listSegments returns the indexes named by the segment files in dir, sorted.
func listSegments(dir string) ([]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var idx []uint64
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, segmentExt) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, segmentExt), 10, 64)
		if err != nil || len(name) != 20+len(segmentExt) {
			return nil, corruptf(filepath.Join(dir, name), 0, "segment file name is not a 20-digit index")
		}
		idx = append(idx, n)
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	return idx, nil
}

// createSegment creates, syncs and announces (directory fsync) a new empty
// segment for entries starting at index.
func createSegment(dir string, index uint64) (*segment, error) {
	path := filepath.Join(dir, segmentName(index))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("wal: create segment %d: %w", index, err)
	}
	if _, err := f.WriteAt([]byte(segmentMagic), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("wal: write segment %d header: %w", index, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("wal: sync segment %d: %w", index, err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return &segment{index: index, path: path, f: f, size: int64(len(segmentMagic))}, nil
}

// truncate cuts the segment at off and makes the cut durable.
func (s *segment) truncate(off int64) error {
	if err := s.f.Truncate(off); err != nil {
		return fmt.Errorf("wal: truncate %s at %d: %w", s.path, off, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", s.path, err)
	}
	s.size = off
	return nil
}

// remove closes and deletes the segment file. The caller syncs the directory.
func (s *segment) remove() error {
	s.f.Close()
	if err := os.Remove(s.path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("wal: remove %s: %w", s.path, err)
	}
	return nil
}
