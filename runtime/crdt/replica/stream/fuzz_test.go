package stream

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/internal/frame"
)

// FuzzReadEnvelope feeds arbitrary bytes to a connection's frame reader: it
// must return envelopes from the hello's sender or an error, never panic or
// allocate beyond the frame limit, and what it decodes must encode again.
func FuzzReadEnvelope(f *testing.F) {
	envs := []*replicawire.Envelope{
		{From: "a", Epoch: 3, Replica: "a@x", Deltas: &replicawire.Deltas{Items: []replicawire.Delta{{Seq: 1, Data: []byte("d1")}, {Seq: 2, Data: []byte("d2")}}}},
		{From: "a", Epoch: 3, To: "b", ToEpoch: 9, Ack: &replicawire.Ack{Seq: 4, Missing: true}},
		{From: "a", Epoch: 3, State: &replicawire.State{Seq: 5, Data: []byte("state")}, Pull: true},
		{From: "a", Epoch: 3, Digest: &replicawire.Digest{Seq: 5, Sum: make([]byte, 32), Offer: true,
			Progress: []replicawire.Progress{{Origin: "c", Epoch: 1, Seq: 2}}}},
	}
	var stream []byte
	for _, e := range envs {
		var start int
		var err error
		stream, start = frame.Begin(stream)
		stream, err = e.AppendBinary(stream)
		require.NoError(f, err)
		stream, err = frame.Finish(stream, start, 1<<16)
		require.NoError(f, err)
	}
	f.Add(stream)
	f.Add(stream[:len(stream)/2])
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{0, 0, 0, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		var buf []byte
		for {
			env, err := readEnvelope(br, &buf, 1<<16, "a")
			if err != nil {
				return
			}
			require.Equal(t, "a", env.From)
			require.LessOrEqual(t, cap(buf), 1<<16)
			_, err = env.MarshalBinary()
			require.NoError(t, err)
		}
	})
}
