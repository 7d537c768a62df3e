package wal_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

func snapMeta(index uint64) raftwire.SnapshotMeta {
	return raftwire.SnapshotMeta{
		Index: index, Term: 2, ConfigIndex: 1,
		Configuration: raftwire.Configuration{Servers: []raftwire.Server{
			{ID: "a", Address: "127.0.0.1:1", Suffrage: raftwire.Voter},
			{ID: "b", Address: "127.0.0.1:2", Suffrage: raftwire.Learner},
		}},
	}
}

func writeSnap(t *testing.T, s *wal.SnapshotStore, index uint64, data []byte) {
	t.Helper()
	sk, err := s.Create(snapMeta(index))
	require.NoError(t, err)
	for len(data) > 0 {
		n := min(len(data), 1000)
		_, err := sk.Write(data[:n])
		require.NoError(t, err)
		data = data[n:]
	}
	require.NoError(t, sk.Close())
}

func readSnap(t *testing.T, s *wal.SnapshotStore) (raftwire.SnapshotMeta, []byte, error) {
	t.Helper()
	meta, rc, err := s.Open()
	if err != nil {
		return meta, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return meta, b, err
}

func snapDirs(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func TestSnapshotStore(t *testing.T) {
	dir := t.TempDir()
	s, err := wal.OpenSnapshotStore(dir, wal.DefaultSnapshotConfig())
	require.NoError(t, err)
	_, _, err = s.Open()
	require.ErrorIs(t, err, raft.ErrNoSnapshot)

	big := bytes.Repeat([]byte("0123456789abcdef"), 40000)
	writeSnap(t, s, 10, []byte("first"))
	writeSnap(t, s, 20, big)
	meta, data, err := readSnap(t, s)
	require.NoError(t, err)
	want := snapMeta(20)
	want.Size = uint64(len(big))
	require.Equal(t, want, meta)
	require.Equal(t, big, data)

	// A snapshot being written is invisible; cancelling leaves nothing.
	sk, err := s.Create(snapMeta(30))
	require.NoError(t, err)
	_, err = sk.Write([]byte("partial"))
	require.NoError(t, err)
	meta, _, err = readSnap(t, s)
	require.NoError(t, err)
	require.Equal(t, uint64(20), meta.Index)
	require.NoError(t, sk.Cancel())
	require.Len(t, snapDirs(t, dir), 2)

	// Only the newest Retain snapshots are kept.
	writeSnap(t, s, 40, []byte("fourth"))
	require.Len(t, snapDirs(t, dir), 2)
	meta, data, err = readSnap(t, s)
	require.NoError(t, err)
	require.Equal(t, uint64(40), meta.Index)
	require.Equal(t, []byte("fourth"), data)

	// A crash mid-write leaves a temporary directory that reopening removes.
	sk, err = s.Create(snapMeta(50))
	require.NoError(t, err)
	_, err = sk.Write([]byte("never closed"))
	require.NoError(t, err)
	s2, err := wal.OpenSnapshotStore(dir, wal.DefaultSnapshotConfig())
	require.NoError(t, err)
	require.Len(t, snapDirs(t, dir), 2)
	meta, _, err = readSnap(t, s2)
	require.NoError(t, err)
	require.Equal(t, uint64(40), meta.Index)
	require.NoError(t, sk.Cancel())
}

func TestSnapshotCorruption(t *testing.T) {
	dir := t.TempDir()
	s, err := wal.OpenSnapshotStore(dir, wal.DefaultSnapshotConfig())
	require.NoError(t, err)
	writeSnap(t, s, 10, []byte("older snapshot"))
	writeSnap(t, s, 20, []byte("newer snapshot"))
	names := snapDirs(t, dir)
	require.Len(t, names, 2)
	newest := filepath.Join(dir, names[1])

	// Damaged data: the reader reports it at the end.
	dataPath := filepath.Join(newest, "data")
	b, err := os.ReadFile(dataPath)
	require.NoError(t, err)
	b[3] ^= 0x08
	require.NoError(t, os.WriteFile(dataPath, b, 0o644))
	_, _, err = readSnap(t, s)
	require.ErrorIs(t, err, wal.ErrCorrupt)
	require.ErrorContains(t, err, dataPath)

	// Damaged meta: the snapshot is skipped for the older one.
	metaPath := filepath.Join(newest, "meta")
	m, err := os.ReadFile(metaPath)
	require.NoError(t, err)
	m[len(m)-1] ^= 0x01
	require.NoError(t, os.WriteFile(metaPath, m, 0o644))
	meta, data, err := readSnap(t, s)
	require.NoError(t, err)
	require.Equal(t, uint64(10), meta.Index)
	require.Equal(t, []byte("older snapshot"), data)
}

func TestSnapshotStoreConfig(t *testing.T) {
	_, err := wal.OpenSnapshotStore(t.TempDir(), wal.SnapshotConfig{Retain: 0})
	require.ErrorContains(t, err, "Retain")
}

// TestSnapshotOfLowerIndexCreatedLater creates a snapshot of a lower index
// after one of a higher index, as a follower does when its own automatic
// snapshot starts while it receives the leader's: Open must still return
// the higher index, and reaping must keep it. The lower one used to be
// named after the higher one (to keep names increasing), so it sorted as
// the newest: Open returned it, Raft stopped with a storage failure, and
// two such snapshots reaped the real newest one.
func TestSnapshotOfLowerIndexCreatedLater(t *testing.T) {
	dir := t.TempDir()
	s, err := wal.OpenSnapshotStore(dir, wal.DefaultSnapshotConfig())
	require.NoError(t, err)
	writeSnap(t, s, 500, []byte("five hundred"))
	writeSnap(t, s, 321, []byte("three twenty-one"))
	writeSnap(t, s, 421, []byte("four twenty-one"))
	meta, data, err := readSnap(t, s)
	require.NoError(t, err)
	require.Equal(t, uint64(500), meta.Index)
	require.Equal(t, "five hundred", string(data))
}
