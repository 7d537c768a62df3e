package tcp

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// FuzzReadFrame feeds arbitrary bytes to the frame decoder: it must return
// messages or an error, never panic or allocate beyond the frame limit, and
// what it decodes must encode again.
func FuzzReadFrame(f *testing.F) {
	msgs := []*raftwire.Message{
		{From: "a", To: "b", AppendEntries: &raftwire.AppendEntries{Term: 3, LeaderID: "a", PrevLogIndex: 9,
			Entries: []raftwire.Entry{{Index: 10, Term: 3, Data: []byte("cmd")}}, LeaderCommit: 8}},
		{From: "b", To: "a", RequestVoteResponse: &raftwire.RequestVoteResponse{Term: 4, VoteGranted: true}},
		{From: "a", To: "c", InstallSnapshot: &raftwire.InstallSnapshot{Term: 5, Data: []byte("chunk"), Done: true,
			Configuration: raftwire.Configuration{Servers: []raftwire.Server{{ID: "a", Address: "x"}}}}},
	}
	var stream []byte
	for _, m := range msgs {
		var err error
		stream, err = appendFrame(stream, m, 1<<20)
		require.NoError(f, err)
	}
	f.Add(stream)
	f.Add(stream[:len(stream)/2])
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{0, 0, 0, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		var buf []byte
		for {
			m, err := readFrame(r, &buf, 1<<16)
			if err != nil {
				return
			}
			_, err = appendFrame(nil, m, 1<<20)
			require.NoError(t, err)
		}
	})
}

// FuzzReadHello: the handshake parser never panics and returns a non-empty
// ID of bounded length or an error.
func FuzzReadHello(f *testing.F) {
	f.Add(appendHello(nil, "node-1"))
	f.Add([]byte("DWRAFT1\n\x00\x00"))
	f.Add([]byte("DWRAFT1\n\xff\xff"))
	f.Add([]byte("GET / HTTP/1.1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := readHello(bytes.NewReader(data))
		if err == nil {
			require.NotEmpty(t, id)
			require.LessOrEqual(t, len(id), maxIDLen)
		}
	})
}
