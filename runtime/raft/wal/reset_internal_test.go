package wal

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TestResetCrashLeavesOldOrEmptyLog recreates on disk each state a crash
// inside Reset can leave (the intent recorded, then some, then all of the
// segments deleted) and reopens: the log must come back empty at the new
// first index, with no stale entry, and keep what is appended afterwards.
// A crash before the intent is recorded leaves the old log untouched.
func TestResetCrashLeavesOldOrEmptyLog(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentSize = 128
	for _, tc := range []struct {
		name   string
		remove int // segment files deleted, newest first, before the crash; -1: all
	}{
		{"intent recorded", 0},
		{"one segment deleted", 1},
		{"every segment deleted", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Open(dir, cfg)
			require.NoError(t, err)
			for i := uint64(1); i <= 12; i++ {
				require.NoError(t, w.Append([]raftwire.Entry{{Index: i, Term: 1, Data: []byte("stale entry data")}}))
			}
			segs, err := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
			require.NoError(t, err)
			require.Greater(t, len(segs), 2)
			sort.Sort(sort.Reverse(sort.StringSlice(segs)))
			// The crash: Reset(6) stopped part way.
			require.NoError(t, w.writeFirstIndex(7, true))
			n := tc.remove
			if n < 0 {
				n = len(segs)
			}
			for _, p := range segs[:n] {
				require.NoError(t, os.Remove(p))
			}
			require.NoError(t, w.Close())

			w, err = Open(dir, cfg)
			require.NoError(t, err)
			first, _ := w.FirstIndex()
			last, _ := w.LastIndex()
			require.Equal(t, uint64(7), first)
			require.Equal(t, uint64(6), last)
			left, err := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
			require.NoError(t, err)
			require.Empty(t, left, "stale segments left on disk")
			require.NoError(t, w.Append([]raftwire.Entry{{Index: 7, Term: 2, Data: []byte("new")}}))
			require.NoError(t, w.Close())

			// The flag was cleared: the new entry survives another reopen.
			w, err = Open(dir, cfg)
			require.NoError(t, err)
			defer w.Close()
			es, err := w.Entries(7, 8, 0)
			require.NoError(t, err)
			require.Equal(t, []raftwire.Entry{{Index: 7, Term: 2, Data: []byte("new")}}, es)
		})
	}
}
