package frame_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/runtime/internal/frame"
)

const magic = "DWTEST1\n"

func TestFramesRoundTrip(t *testing.T) {
	var b []byte
	for _, p := range []string{"one", "", "three"} {
		var start int
		b, start = frame.Begin(b)
		b = append(b, p...)
		var err error
		b, err = frame.Finish(b, start, 16)
		require.NoError(t, err)
	}
	r := bufio.NewReader(bytes.NewReader(b))
	var buf []byte
	for _, want := range []string{"one", "", "three"} {
		p, err := frame.Read(r, &buf, 16)
		require.NoError(t, err)
		require.Equal(t, want, string(p))
	}
	_, err := frame.Read(r, &buf, 16)
	require.ErrorIs(t, err, io.EOF)
}

func TestFrameLimits(t *testing.T) {
	b, start := frame.Begin([]byte("keep"))
	b = append(b, make([]byte, 17)...)
	b, err := frame.Finish(b, start, 16)
	require.ErrorIs(t, err, frame.ErrTooLarge)
	require.Equal(t, "keep", string(b), "the refused frame is removed")

	var buf []byte
	_, err = frame.Read(bufio.NewReader(bytes.NewReader([]byte{0, 0, 1, 0, 1, 2})), &buf, 16)
	require.ErrorIs(t, err, frame.ErrTooLarge)
	require.Nil(t, buf, "nothing allocated for an oversized frame")
	_, err = frame.Read(bufio.NewReader(bytes.NewReader([]byte{0, 0, 0, 5, 1, 2})), &buf, 16)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestHello(t *testing.T) {
	id, err := frame.ReadHello(bytes.NewReader(frame.AppendHello(nil, magic, "node-1")), magic)
	require.NoError(t, err)
	require.Equal(t, "node-1", id)
	for name, in := range map[string][]byte{
		"other magic": frame.AppendHello(nil, "DWOTHER\n", "node-1"),
		"empty id":    []byte(magic + "\x00\x00"),
		"long id":     []byte(magic + "\xff\xff"),
	} {
		_, err := frame.ReadHello(bytes.NewReader(in), magic)
		require.ErrorIs(t, err, frame.ErrMalformed, name)
	}
	_, err = frame.ReadHello(bytes.NewReader([]byte(magic+"\x00\x05ab")), magic)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// FuzzRead: the reader never panics, never returns a payload beyond max,
// and whatever it returns frames again to the same bytes.
func FuzzRead(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{0, 0, 0, 9, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		var buf, again []byte
		for {
			p, err := frame.Read(r, &buf, 64)
			if err != nil {
				require.True(t, bytes.Equal(again, data[:len(again)]), "re-framed bytes differ")
				return
			}
			require.LessOrEqual(t, len(p), 64)
			var start int
			again, start = frame.Begin(again)
			again = append(again, p...)
			again, err = frame.Finish(again, start, 64)
			require.NoError(t, err)
		}
	})
}

func TestConnSetRefusesAfterCloseAll(t *testing.T) {
	var s frame.ConnSet
	a, b := net.Pipe()
	defer b.Close()
	require.True(t, s.Track(a))
	s.CloseAll()
	_, err := a.Write([]byte{1})
	require.ErrorIs(t, err, io.ErrClosedPipe, "CloseAll closes tracked connections")
	c, d := net.Pipe()
	defer c.Close()
	defer d.Close()
	require.False(t, s.Track(c), "Track after CloseAll")
}
