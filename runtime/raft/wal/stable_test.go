package wal_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

func TestStableStore(t *testing.T) {
	dir := t.TempDir()
	s, err := wal.OpenStableStore(dir)
	require.NoError(t, err)
	hs, err := s.LoadHardState()
	require.NoError(t, err)
	require.Equal(t, raftwire.HardState{}, hs, "nothing saved yet")

	for _, want := range []raftwire.HardState{{Term: 1, Vote: "a"}, {Term: 7}, {Term: 8, Vote: "node-with-a-long-name"}} {
		require.NoError(t, s.SaveHardState(want))
		got, err := s.LoadHardState()
		require.NoError(t, err)
		require.Equal(t, want, got)
		// A restart reads the same state.
		s2, err := wal.OpenStableStore(dir)
		require.NoError(t, err)
		got, err = s2.LoadHardState()
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	// The temporary file of a save interrupted by a crash is ignored.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hardstate.tmp"), []byte("half"), 0o644))
	s3, err := wal.OpenStableStore(dir)
	require.NoError(t, err)
	got, err := s3.LoadHardState()
	require.NoError(t, err)
	require.Equal(t, raftwire.HardState{Term: 8, Vote: "node-with-a-long-name"}, got)
}

func TestStableStoreCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"flipped payload bit", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-2] }},
		{"too short", func(b []byte) []byte { return b[:5] }},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := wal.OpenStableStore(dir)
			require.NoError(t, err)
			require.NoError(t, s.SaveHardState(raftwire.HardState{Term: 3, Vote: "b"}))
			path := filepath.Join(dir, "hardstate")
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tc.damage(b), 0o644))
			_, err = s.LoadHardState()
			require.ErrorIs(t, err, wal.ErrCorrupt)
			require.ErrorContains(t, err, path)
			_, err = wal.OpenStableStore(dir)
			require.ErrorIs(t, err, wal.ErrCorrupt)
		})
	}
}
