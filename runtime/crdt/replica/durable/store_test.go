package durable_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/runtime/crdt/replica/durable"
)

func open(t testing.TB, dir string, g *gset) *durable.Store {
	t.Helper()
	s, err := durable.Open(durable.Config{Dir: dir, State: g})
	require.NoError(t, err)
	return s
}

// write adds items one delta each and syncs.
func write(t testing.TB, s *durable.Store, g *gset, items ...string) {
	t.Helper()
	for _, it := range items {
		g.add(it)
		_, err := s.TakeDelta()
		require.NoError(t, err)
	}
	require.NoError(t, s.Sync(context.Background()))
}

func TestReplayAfterCrash(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s := open(t, dir, g)
	write(t, s, g, "a", "b", "c")
	st := s.Stats()
	require.Equal(t, uint64(3), st.Appends)
	require.NotZero(t, st.Syncs)
	// No Close: the process "crashes" with its files as they are.

	g2 := newGSet()
	s2 := open(t, dir, g2)
	defer s2.Close()
	require.Equal(t, []string{"a", "b", "c"}, g2.list())
	require.Equal(t, 3, s2.Stats().RestoredRecords)
	require.NoError(t, s.Close())
}

func TestReopenAfterCloseKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for round := range 4 {
		g := newGSet()
		s := open(t, dir, g)
		require.Equal(t, want, g.list(), "round %d", round)
		item := fmt.Sprintf("item-%d", round)
		write(t, s, g, item)
		want = append(want, item)
		require.NoError(t, s.Close())
		require.Len(t, logFiles(t, dir), 1)
	}
}

func TestTornTailIsTruncated(t *testing.T) {
	for _, cut := range []int{1, 5, 12, 14} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			dir := t.TempDir()
			g := newGSet()
			s := open(t, dir, g)
			write(t, s, g, "a", "b")
			size := s.Stats().LogBytes
			write(t, s, g, "torn")
			require.NoError(t, s.Close())
			path := filepath.Join(dir, logFiles(t, dir)[0])
			require.NoError(t, os.Truncate(path, size+int64(cut))) // the last append was cut short

			g2 := newGSet()
			s2 := open(t, dir, g2)
			defer s2.Close()
			require.Equal(t, []string{"a", "b"}, g2.list())
			require.Equal(t, int64(cut), s2.Stats().TruncatedBytes)
		})
	}
}

func TestCorruptionIsAnErrorNamingFileAndOffset(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s := open(t, dir, g)
	write(t, s, g, "first", "second")
	require.NoError(t, s.Close())
	path := filepath.Join(dir, logFiles(t, dir)[0])
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[8+12+2] ^= 0x40 // inside the first record's payload; a good record follows
	require.NoError(t, os.WriteFile(path, b, 0o644))

	_, err = durable.Open(durable.Config{Dir: dir, State: newGSet()})
	require.ErrorIs(t, err, durable.ErrCorrupt)
	var ce *durable.CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, path, ce.Path)
	require.Equal(t, int64(8), ce.Offset)
	require.Contains(t, err.Error(), path)
}

func TestCorruptSnapshotIsAnError(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s := open(t, dir, g)
	write(t, s, g, "x")
	require.NoError(t, s.Compact())
	require.NoError(t, s.Close())
	path := filepath.Join(dir, "crdt.snap")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[len(b)-1] ^= 1
	require.NoError(t, os.WriteFile(path, b, 0o644))

	_, err = durable.Open(durable.Config{Dir: dir, State: newGSet()})
	var ce *durable.CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, path, ce.Path)
}

func TestMissingLogFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s := open(t, dir, g)
	write(t, s, g, "a")
	require.NoError(t, s.Close())
	// A log that starts after a gap: records 1.. are gone.
	name := logFiles(t, dir)[0]
	require.NoError(t, os.Rename(filepath.Join(dir, name), filepath.Join(dir, "crdt-00000000000000000007.log")))
	_, err := durable.Open(durable.Config{Dir: dir, State: newGSet()})
	require.ErrorIs(t, err, durable.ErrCorrupt)
	require.Contains(t, err.Error(), "missing")
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s := open(t, dir, g)
	write(t, s, g, "a", "b")
	require.NoError(t, s.Compact())
	require.NoError(t, s.Compact(), "nothing new: a no-op")
	require.Equal(t, uint64(1), s.Stats().Compactions)
	write(t, s, g, "c")
	require.Len(t, logFiles(t, dir), 1)
	require.FileExists(t, filepath.Join(dir, "crdt.snap"))
	require.Less(t, s.Stats().LogBytes, int64(40), "the compacted records left the log")

	g2 := newGSet()
	s2 := open(t, dir, g2)
	require.Equal(t, []string{"a", "b", "c"}, g2.list())
	st := s2.Stats()
	require.True(t, st.RestoredSnapshot)
	require.Equal(t, 1, st.RestoredRecords)
	require.NoError(t, s2.Close())
	require.NoError(t, s.Close())
}

// TestCompactionInterrupted leaves the old log next to the new snapshot, as
// a crash between writing the snapshot and deleting the log would.
func TestCompactionInterrupted(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s := open(t, dir, g)
	write(t, s, g, "a", "b")
	old := logFiles(t, dir)[0]
	keep, err := os.ReadFile(filepath.Join(dir, old))
	require.NoError(t, err)
	require.NoError(t, s.Compact())
	write(t, s, g, "c")
	require.NoError(t, s.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, old), keep, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "crdt.snap.tmp"), []byte("half"), 0o644))

	g2 := newGSet()
	s2 := open(t, dir, g2)
	defer s2.Close()
	require.Equal(t, []string{"a", "b", "c"}, g2.list())
	require.Len(t, logFiles(t, dir), 1, "the covered log was removed")
	require.NoFileExists(t, filepath.Join(dir, "crdt.snap.tmp"))
}

func TestRunCompactsPastThreshold(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s, err := durable.Open(durable.Config{Dir: dir, State: g, CompactBytes: 64})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	for i := range 20 {
		write(t, s, g, fmt.Sprintf("element-%02d", i))
	}
	require.Eventually(t, func() bool { return s.Stats().Compactions > 0 }, 10e9, 1e6)
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, s.Close())

	g2 := newGSet()
	s2 := open(t, dir, g2)
	defer s2.Close()
	require.Len(t, g2.list(), 20)
}

func TestConcurrentWritersShareSyncs(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s := open(t, dir, g)
	const writers, each = 8, 20
	var wg sync.WaitGroup
	var mu sync.Mutex // the engine's lock: TakeDelta is called under it
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				g.add(fmt.Sprintf("w%d-%d", w, i))
				mu.Lock()
				_, err := s.TakeDelta()
				mu.Unlock()
				require.NoError(t, err)
				require.NoError(t, s.Sync(context.Background()))
			}
		}()
	}
	wg.Wait()
	st := s.Stats()
	require.LessOrEqual(t, st.Syncs, st.Appends)
	t.Logf("%d appends, %d syncs", st.Appends, st.Syncs)
	require.NoError(t, s.Close())

	g2 := newGSet()
	s2 := open(t, dir, g2)
	defer s2.Close()
	require.Len(t, g2.list(), writers*each)
}

// TestGroupCommit: writers whose records are written when a sync starts
// share it: eight concurrent Sync calls after eight appends cost one
// fdatasync.
func TestGroupCommit(t *testing.T) {
	g := newGSet()
	s := open(t, t.TempDir(), g)
	defer s.Close()
	for i := range 8 {
		g.add(fmt.Sprint(i))
		_, err := s.TakeDelta()
		require.NoError(t, err)
	}
	before := s.Stats().Syncs
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, s.Sync(context.Background()))
		}()
	}
	wg.Wait()
	require.Equal(t, before+1, s.Stats().Syncs)
	require.NoError(t, s.Sync(context.Background()))
	require.Equal(t, before+1, s.Stats().Syncs, "nothing new: no fdatasync")
}

func TestRestoreAsDelta(t *testing.T) {
	dir := t.TempDir()
	g := newGSet()
	s := open(t, dir, g)
	write(t, s, g, "old")
	require.NoError(t, s.Close())

	g2 := newGSet()
	s2, err := durable.Open(durable.Config{Dir: dir, State: g2, RestoreAsDelta: true})
	require.NoError(t, err)
	defer s2.Close()
	g2.add("new")
	d, err := s2.TakeDelta()
	require.NoError(t, err)
	require.Equal(t, "new\nold", string(d), "the first delta carries the restored state")
	g2.add("newer")
	d, err = s2.TakeDelta()
	require.NoError(t, err)
	require.Equal(t, "newer", string(d))
}

func TestClosed(t *testing.T) {
	g := newGSet()
	s := open(t, t.TempDir(), g)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	g.add("late")
	d, err := s.TakeDelta()
	require.NoError(t, err)
	require.Equal(t, "late", string(d), "deltas still flow, unlogged")
	require.True(t, errors.Is(s.Sync(context.Background()), durable.ErrClosed))
	require.ErrorIs(t, s.Compact(), durable.ErrClosed)
}

func TestConfigErrors(t *testing.T) {
	_, err := durable.Open(durable.Config{State: newGSet()})
	require.Error(t, err)
	_, err = durable.Open(durable.Config{Dir: t.TempDir()})
	require.Error(t, err)
}
