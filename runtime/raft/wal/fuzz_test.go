package wal_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/runtime/raft/raftstoretest"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

// FuzzOpenSegment opens a WAL whose only segment holds the fuzzer's bytes:
// Open must recover or fail with an error, never panic, and a recovered log
// must be readable and appendable.
func FuzzOpenSegment(f *testing.F) {
	valid, err := os.ReadFile(writeLog(f, f.TempDir(), 6))
	require.NoError(f, err)
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte("DWWAL01\n"))
	for _, cut := range []int{5, 20, len(valid) / 2, len(valid) - 1} {
		f.Add(valid[:cut])
	}
	for _, flip := range []int{9, 14, 25, len(valid) / 2, len(valid) - 3} {
		b := append([]byte(nil), valid...)
		b[flip] ^= 0x20
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, seg []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "00000000000000000001.wal"), seg, 0o644))
		w, err := wal.Open(dir, wal.DefaultConfig())
		if err != nil {
			return
		}
		defer w.Close()
		first, err := w.FirstIndex()
		require.NoError(t, err)
		last, err := w.LastIndex()
		require.NoError(t, err)
		require.Equal(t, uint64(1), first)
		if last >= first {
			es, err := w.Entries(first, last+1, 0)
			require.NoError(t, err)
			require.Len(t, es, int(last-first+1))
		}
		require.NoError(t, w.Append(raftstoretest.Ents(last+1, last+1, 9)))
	})
}
