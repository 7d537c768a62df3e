package swim

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dwsdk/distributed/gen/swimwire"
	"github.com/stretchr/testify/require"
)

// joinNews is a compound of n alive messages like those a join gossips.
func joinNews(n int) []byte {
	var msgs [][]byte
	for i := range n {
		msgs = append(msgs, mustEncode(msgAlive, &swimwire.Alive{Incarnation: uint32(1 + i%3), Node: fmt.Sprintf("m%03d", i), Addr: fmt.Sprintf("127.0.0.1:%d", 33000+i*7919%20000)}))
	}
	return compound(nil, msgs)
}

// deflated frames raw as one msgCompressed message without the size check.
func deflated(t *testing.T, raw []byte) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestSpeed)
	require.NoError(t, err)
	_, err = w.Write(raw)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	out := binary.AppendUvarint([]byte{byte(msgCompressed)}, uint64(b.Len()))
	return append(out, b.Bytes()...)
}

func TestCompressRoundTrip(t *testing.T) {
	raw := joinNews(50)
	c := compressCompound(raw)
	require.Less(t, len(c), len(raw)/2, "join news compresses at least twofold")
	frames, err := splitFrames(c)
	require.NoError(t, err)
	require.Len(t, frames, 1)
	require.Equal(t, msgCompressed, frames[0].t)
	frames, err = expandFrames(frames)
	require.NoError(t, err)
	want, err := splitFrames(raw)
	require.NoError(t, err)
	require.Len(t, frames, len(want))
	for i := range want {
		require.Equal(t, want[i].t, frames[i].t)
		require.Equal(t, want[i].body, frames[i].body)
	}
}

func TestCompressSkipsWhatDoesNotShrink(t *testing.T) {
	small := compound(nil, samplePacket(t))
	require.Less(t, len(small), compressMin)
	require.Equal(t, small, compressCompound(small), "below compressMin")
	noise := make([]byte, 600)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(noise)
	user := compound(nil, [][]byte{mustEncode(msgUser, &swimwire.UserMsg{Payload: noise})})
	require.Equal(t, user, compressCompound(user), "incompressible")
}

func TestExpandFramesRejects(t *testing.T) {
	ping := mustEncode(msgPing, &swimwire.Ping{SeqNo: 1, SourceNode: "a", SourceAddr: "x"})
	bomb := deflated(t, make([]byte, maxInflated+1))
	// Each under the limit, together over it: the limit is per packet.
	third := deflated(t, make([]byte, maxInflated/3+1))
	bombs := slices.Concat(third, third, third)
	for _, tc := range []struct {
		name, want string
		packet     []byte
	}{
		{"not deflate", "compressed message at offset 0", []byte{byte(msgCompressed), 3, 0xff, 0xff, 0xff}},
		{"bomb", fmt.Sprintf("inflates past %d bytes", maxInflated), bomb},
		{"small bombs", fmt.Sprintf("compressed message at offset %d: inflates past %d bytes", 2*len(third), maxInflated), bombs},
		{"nested", "holds another", deflated(t, append(deflated(t, ping), ping...))},
		{"bad inner frame", "in compressed message at offset", deflated(t, []byte{byte(msgPing), 9, 1})},
		{"after a plain message", fmt.Sprintf("compressed message at offset %d", len(ping)), append(append([]byte(nil), ping...), byte(msgCompressed), 1, 0xff)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames, err := splitFrames(tc.packet)
			require.NoError(t, err)
			_, err = expandFrames(frames)
			require.ErrorIs(t, err, ErrMalformed)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestExpandFramesKeepsOrder(t *testing.T) {
	ping := mustEncode(msgPing, &swimwire.Ping{SeqNo: 1, SourceNode: "a", SourceAddr: "x"})
	news := joinNews(20)
	packet := append(append([]byte(nil), ping...), deflated(t, news)...)
	frames, err := splitFrames(packet)
	require.NoError(t, err)
	frames, err = expandFrames(frames)
	require.NoError(t, err)
	require.Len(t, frames, 21)
	require.Equal(t, msgPing, frames[0].t)
	for _, f := range frames[1:] {
		require.Equal(t, msgAlive, f.t)
	}
}
