package raftstore

import (
	"context"
	"io"
	"testing"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft/tcp"
)

func newTCP(b *testing.B, id string) *tcp.Transport {
	cfg := tcp.DefaultConfig()
	cfg.ID = id
	tr, err := tcp.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	return tr
}

func appendEntries(i uint64) *raftwire.Message {
	return &raftwire.Message{From: "a", To: "b", AppendEntries: &raftwire.AppendEntries{
		Term: 1, LeaderID: "a", PrevLogIndex: i, PrevLogTerm: 1, LeaderCommit: i,
		Entries: []raftwire.Entry{{Index: i + 1, Term: 1, Data: payload}},
	}}
}

// BenchmarkTCPTransport measures the loopback TCP transport with
// AppendEntries of one 128-byte entry. op=pipelined: one op is one message
// delivered while up to 256 are in flight (how a leader streams appends).
// op=roundtrip: one op is a message and its response, one at a time (the
// latency a single commit pays per hop pair); impl=hashicorp is
// hashicorp/raft's NetworkTransport doing the same AppendEntries RPC.
func BenchmarkTCPTransport(b *testing.B) {
	b.Run("op=pipelined/impl=ours", func(b *testing.B) {
		a, c := newTCP(b, "a"), newTCP(b, "b")
		const window = 256
		b.ResetTimer()
		sent := 0
		for got := 0; got < b.N; got++ {
			for sent < b.N && sent-got < window {
				if err := a.Send(c.LocalAddr(), appendEntries(uint64(sent))); err != nil {
					break // queue full: receive first
				}
				sent++
			}
			<-c.Inbound()
		}
		b.StopTimer()
		if st := a.Stats(); st.Flushes > 0 {
			b.ReportMetric(float64(st.FramesSent)/float64(st.Flushes), "frames/flush")
		}
	})
	b.Run("op=roundtrip/impl=ours", func(b *testing.B) {
		a, c := newTCP(b, "a"), newTCP(b, "b")
		resp := &raftwire.Message{From: "b", To: "a", AppendEntriesResponse: &raftwire.AppendEntriesResponse{Term: 1, Success: true}}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := a.Send(c.LocalAddr(), appendEntries(uint64(i))); err != nil {
				b.Fatal(err)
			}
			<-c.Inbound()
			if err := c.Send(a.LocalAddr(), resp); err != nil {
				b.Fatal(err)
			}
			<-a.Inbound()
		}
	})
	b.Run("op=roundtrip/impl=hashicorp", func(b *testing.B) {
		newNet := func() *hraft.NetworkTransport {
			tr, err := hraft.NewTCPTransport("127.0.0.1:0", nil, 2, 10*time.Second, io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { tr.Close() })
			return tr
		}
		a, c := newNet(), newNet()
		go func() {
			for rpc := range c.Consumer() {
				rpc.Respond(&hraft.AppendEntriesResponse{Term: 1, Success: true}, nil)
			}
		}()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			req := &hraft.AppendEntriesRequest{
				RPCHeader: hraft.RPCHeader{ID: []byte("a"), Addr: []byte(a.LocalAddr())},
				Term:      1, PrevLogEntry: uint64(i), PrevLogTerm: 1, LeaderCommitIndex: uint64(i),
				Entries: []*hraft.Log{{Index: uint64(i) + 1, Term: 1, Type: hraft.LogCommand, Data: payload}},
			}
			var resp hraft.AppendEntriesResponse
			if err := a.AppendEntries("b", c.LocalAddr(), req, &resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
