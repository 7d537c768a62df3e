package durable_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/runtime/crdt/replica/durable"
)

// validFiles returns the log and snapshot of a store that wrote a few
// elements, compacted, and wrote a few more.
func validFiles(f *testing.F) (log, snap []byte) {
	dir := f.TempDir()
	g := newGSet()
	s := open(f, dir, g)
	write(f, s, g, "a", "b")
	require.NoError(f, s.Compact())
	write(f, s, g, "c", "d", "e")
	require.NoError(f, s.Close())
	log, err := os.ReadFile(filepath.Join(dir, logFiles(f, dir)[0]))
	require.NoError(f, err)
	snap, err = os.ReadFile(filepath.Join(dir, "crdt.snap"))
	require.NoError(f, err)
	return log, snap
}

// FuzzOpen opens a store whose log file (records from sequence number 3 on)
// and snapshot hold the fuzzer's bytes (an empty snapshot input means no
// snapshot file): Open must recover or fail with an error, never panic, and
// a recovered store must accept, sync and replay a new delta.
func FuzzOpen(f *testing.F) {
	log, snap := validFiles(f)
	f.Add(log, snap)
	f.Add(log, []byte{})
	f.Add([]byte{}, snap)
	f.Add([]byte("DWCRDTL\n"), []byte{})
	for _, cut := range []int{3, 9, 20, len(log) / 2, len(log) - 1} {
		f.Add(log[:cut], snap)
	}
	for _, flip := range []int{2, 10, 17, 22, len(log) / 2, len(log) - 2} {
		b := append([]byte(nil), log...)
		b[flip] ^= 0x10
		f.Add(b, snap)
	}
	for _, flip := range []int{3, 9, 13, 18, len(snap) - 1} {
		b := append([]byte(nil), snap...)
		b[flip] ^= 0x04
		f.Add(log, b)
	}
	quiet := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, logData, snapData []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "crdt-00000000000000000003.log"), logData, 0o644))
		if len(snapData) > 0 {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "crdt.snap"), snapData, 0o644))
		}
		g := newGSet()
		s, err := durable.Open(durable.Config{Dir: dir, State: g, Logger: quiet})
		if err != nil {
			return
		}
		before := g.list()
		g.add("fuzz-new")
		_, err = s.TakeDelta()
		require.NoError(t, err)
		require.NoError(t, s.Sync(context.Background()))
		require.NoError(t, s.Close())

		g2 := newGSet()
		s2, err := durable.Open(durable.Config{Dir: dir, State: g2, Logger: quiet})
		require.NoError(t, err, "a recovered store reopens")
		defer s2.Close()
		require.Subset(t, g2.list(), append(before, "fuzz-new"))
	})
}
