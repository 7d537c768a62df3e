package recfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/runtime/internal/recfile"
)

func frame(payloads ...string) []byte {
	var b []byte
	for _, p := range payloads {
		var start int
		b, start = recfile.Begin(b)
		b = append(b, p...)
		recfile.Finish(b, start)
	}
	return b
}

func TestReadRecords(t *testing.T) {
	data := frame("one", "", "three")
	var got []string
	off := 0
	for off < len(data) {
		p, next, st := recfile.Read(data, off)
		require.Equal(t, recfile.OK, st)
		got = append(got, string(p))
		off = next
	}
	require.Equal(t, []string{"one", "", "three"}, got)
}

func TestReadDamage(t *testing.T) {
	good := frame("payload")
	flip := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name string
		data []byte
		want recfile.Status
		torn bool
	}{
		{"short header", good[:5], recfile.Short, true},
		{"short payload", good[:len(good)-1], recfile.Short, true},
		{"length bit flipped", flip(0), recfile.BadHeader, false},
		{"payload bit flipped, a record follows", append(flip(recfile.HeaderSize+1), good...), recfile.BadPayload, false},
		{"last payload bit flipped", flip(recfile.HeaderSize + 1), recfile.BadPayload, true},
		{"payload bit flipped, zeros follow", append(flip(recfile.HeaderSize+1), 0, 0, 0), recfile.BadPayload, true},
		{"zeros", make([]byte, 40), recfile.BadHeader, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, next, st := recfile.Read(tt.data, 0)
			require.Equal(t, tt.want, st)
			require.NotEqual(t, "ok", st.String())
			require.Equal(t, tt.torn, recfile.Torn(tt.data, 0, next, st))
		})
	}
}

func TestAtomicFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	_, err := recfile.ReadAtomic(path, "TESTMAG\n")
	require.ErrorIs(t, err, recfile.ErrNoFile)

	require.NoError(t, recfile.WriteAtomic(path, "TESTMAG\n", []byte("v1")))
	require.NoError(t, recfile.WriteAtomic(path, "TESTMAG\n", []byte("v2")))
	p, err := recfile.ReadAtomic(path, "TESTMAG\n")
	require.NoError(t, err)
	require.Equal(t, "v2", string(p))
	_, err = os.Stat(path + ".tmp")
	require.True(t, errors.Is(err, os.ErrNotExist), "the temporary file is gone")

	require.Error(t, recfile.WriteAtomic(path, "short", nil))

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	damaged := []struct {
		name string
		data []byte
		off  int64
	}{
		{"truncated header", b[:10], 0},
		{"other magic", append([]byte("OTHERMG\n"), b[8:]...), 0},
		{"truncated payload", b[:len(b)-1], 8},
		{"payload flipped", append(append([]byte(nil), b[:len(b)-1]...), b[len(b)-1]^1), recfile.AtomicHeaderSize},
	}
	for _, d := range damaged {
		t.Run(d.name, func(t *testing.T) {
			_, err := recfile.ParseAtomic(d.data, "TESTMAG\n")
			var fe *recfile.FormatError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, d.off, fe.Offset)
		})
	}
}

func TestSync(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "f"))
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, recfile.SyncData(f))
	require.NoError(t, recfile.SyncDir(dir))
	require.Error(t, recfile.SyncDir(filepath.Join(dir, "missing")))
}
