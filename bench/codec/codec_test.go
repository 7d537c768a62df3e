//go:build unix

package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"

	"github.com/dwsdk/distributed/bench/codec/gen/benchwire"
	"github.com/dwsdk/distributed/bench/codec/peer"
	"github.com/dwsdk/distributed/bench/codec/plain"
	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/mailru/easyjson/jwriter"
)

// fixture is one message in the three struct sets with the same values.
type fixture struct {
	name string
	ours interface {
		MarshalJSON() ([]byte, error)
		AppendJSON([]byte) ([]byte, error)
		MarshalBinary() ([]byte, error)
		AppendBinary([]byte) ([]byte, error)
	}
	newOurs func() interface {
		UnmarshalJSON([]byte) error
		UnmarshalBinary([]byte) error
	}
	peer interface {
		MarshalJSON() ([]byte, error)
		MarshalEasyJSON(*jwriter.Writer)
		MarshalMsg([]byte) ([]byte, error)
	}
	newPeer func() interface {
		UnmarshalJSON([]byte) error
		UnmarshalMsg([]byte) ([]byte, error)
	}
	plain    any
	newPlain func() any
}

func fixtures() []fixture {
	const entries, size = 64, 128
	ae := &raftwire.AppendEntries{Term: 7, LeaderID: "node-1", PrevLogIndex: 1000, PrevLogTerm: 7, LeaderCommit: 1040, ReadContext: 3}
	pae := &peer.AppendEntries{Term: 7, LeaderID: "node-1", PrevLogIndex: 1000, PrevLogTerm: 7, LeaderCommit: 1040, ReadContext: 3}
	lae := &plain.AppendEntries{Term: 7, LeaderID: "node-1", PrevLogIndex: 1000, PrevLogTerm: 7, LeaderCommit: 1040, ReadContext: 3}
	for i := range entries {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(i*7 + j)
		}
		idx := uint64(1001 + i)
		ae.Entries = append(ae.Entries, raftwire.Entry{Index: idx, Term: 7, Type: raftwire.EntryNormal, Data: data})
		pae.Entries = append(pae.Entries, peer.Entry{Index: idx, Term: 7, Data: data})
		lae.Entries = append(lae.Entries, plain.Entry{Index: idx, Term: 7, Data: data})
	}
	pk, ppk, lpk := &benchwire.Packet{}, &peer.Packet{}, &plain.Packet{}
	for i := range 8 {
		node, addr, meta := fmt.Sprintf("node-%03d.dc1", i), fmt.Sprintf("10.0.%d.%d:7946", i, 10+i), []byte(`{"role":"storage","zone":"a"}`)
		inc := uint32(100 + i)
		pk.Alives = append(pk.Alives, benchwire.Alive{Incarnation: inc, Node: node, Addr: addr, Meta: meta})
		ppk.Alives = append(ppk.Alives, peer.Alive{Incarnation: inc, Node: node, Addr: addr, Meta: meta})
		lpk.Alives = append(lpk.Alives, plain.Alive{Incarnation: inc, Node: node, Addr: addr, Meta: meta})
	}
	return []fixture{
		{
			name: "AppendEntries", ours: ae, peer: pae, plain: lae,
			newOurs: func() interface {
				UnmarshalJSON([]byte) error
				UnmarshalBinary([]byte) error
			} {
				return new(raftwire.AppendEntries)
			},
			newPeer: func() interface {
				UnmarshalJSON([]byte) error
				UnmarshalMsg([]byte) ([]byte, error)
			} {
				return new(peer.AppendEntries)
			},
			newPlain: func() any { return new(plain.AppendEntries) },
		},
		{
			name: "SWIMPacket", ours: pk, peer: ppk, plain: lpk,
			newOurs: func() interface {
				UnmarshalJSON([]byte) error
				UnmarshalBinary([]byte) error
			} {
				return new(benchwire.Packet)
			},
			newPeer: func() interface {
				UnmarshalJSON([]byte) error
				UnmarshalMsg([]byte) ([]byte, error)
			} {
				return new(peer.Packet)
			},
			newPlain: func() any { return new(plain.Packet) },
		},
	}
}

// processCPU is the user and system CPU time the process has used, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// sink keeps the copy benchmark's result alive, so its allocation is made
// on the heap like the encoders'.
var sink []byte

// must panics on an encoding error, which no benchmark input causes.
func must(p []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return p
}

// BenchmarkCodec compares JSON (ours, easyjson, encoding/json) and binary
// (ours, msgp) encoding and decoding. "append" ops encode into a reused
// buffer.
func BenchmarkCodec(b *testing.B) {
	for _, f := range fixtures() {
		js := must(f.ours.MarshalJSON())
		std := must(json.Marshal(f.plain))
		ej := must(f.peer.MarshalJSON())
		if !bytes.Equal(js, std) || !bytes.Equal(js, ej) {
			b.Fatalf("%s: the three JSON encodings differ:\nours %s\nstd  %s\neasy %s", f.name, js, std, ej)
		}
		bin := must(f.ours.MarshalBinary())
		mp := must(f.peer.MarshalMsg(nil))

		run := func(op, impl string, n int, fn func(b *testing.B)) {
			b.Run(fmt.Sprintf("op=%s/msg=%s/impl=%s", op, f.name, impl), func(b *testing.B) {
				b.SetBytes(int64(n))
				b.ReportAllocs()
				cpu0 := processCPU()
				fn(b)
				// CPU time of the process (benchmark and GC) per operation:
				// unlike ns/op it does not count time the OS gave to other
				// processes, so it stays comparable on a loaded machine.
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
		run("json-encode", "ours", len(js), func(b *testing.B) {
			for b.Loop() {
				must(f.ours.MarshalJSON())
			}
		})
		run("json-encode", "easyjson", len(js), func(b *testing.B) {
			for b.Loop() {
				must(f.peer.MarshalJSON())
			}
		})
		run("json-encode", "encoding_json", len(js), func(b *testing.B) {
			for b.Loop() {
				must(json.Marshal(f.plain))
			}
		})
		// copy returns a fresh copy of the finished encoding: the output
		// allocation every MarshalJSON pays, with no encoding at all, so
		// encoding/json's time over this one bounds the ratio any encoder
		// can reach in json-encode.
		run("json-encode", "copy", len(js), func(b *testing.B) {
			for b.Loop() {
				sink = append([]byte(nil), js...)
			}
		})
		run("json-append", "ours", len(js), func(b *testing.B) {
			buf := make([]byte, 0, 2*len(js))
			for b.Loop() {
				buf = must(f.ours.AppendJSON(buf[:0]))
			}
		})
		run("json-append", "easyjson", len(js), func(b *testing.B) {
			buf := make([]byte, 0, 2*len(js))
			for b.Loop() {
				var w jwriter.Writer
				f.peer.MarshalEasyJSON(&w)
				buf = must(w.BuildBytes(buf[:0]))
			}
		})
		run("json-append", "encoding_json", len(js), func(b *testing.B) {
			// json.Encoder into a reused buffer: encoding/json's
			// allocation-free path (it adds a newline).
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			for b.Loop() {
				buf.Reset()
				if err := enc.Encode(f.plain); err != nil {
					b.Fatal(err)
				}
			}
		})
		run("json-decode", "ours", len(js), func(b *testing.B) {
			for b.Loop() {
				if err := f.newOurs().UnmarshalJSON(js); err != nil {
					b.Fatal(err)
				}
			}
		})
		run("json-decode", "easyjson", len(js), func(b *testing.B) {
			for b.Loop() {
				if err := f.newPeer().UnmarshalJSON(js); err != nil {
					b.Fatal(err)
				}
			}
		})
		run("json-decode", "encoding_json", len(js), func(b *testing.B) {
			for b.Loop() {
				if err := json.Unmarshal(js, f.newPlain()); err != nil {
					b.Fatal(err)
				}
			}
		})
		run("binary-encode", "ours", len(bin), func(b *testing.B) {
			for b.Loop() {
				must(f.ours.MarshalBinary())
			}
		})
		run("binary-encode", "msgp", len(mp), func(b *testing.B) {
			for b.Loop() {
				must(f.peer.MarshalMsg(nil))
			}
		})
		run("binary-append", "ours", len(bin), func(b *testing.B) {
			buf := make([]byte, 0, 2*len(bin))
			for b.Loop() {
				buf = must(f.ours.AppendBinary(buf[:0]))
			}
		})
		run("binary-append", "msgp", len(mp), func(b *testing.B) {
			buf := make([]byte, 0, 2*len(mp))
			for b.Loop() {
				buf = must(f.peer.MarshalMsg(buf[:0]))
			}
		})
		run("binary-decode", "ours", len(bin), func(b *testing.B) {
			for b.Loop() {
				if err := f.newOurs().UnmarshalBinary(bin); err != nil {
					b.Fatal(err)
				}
			}
		})
		run("binary-decode", "msgp", len(mp), func(b *testing.B) {
			for b.Loop() {
				if _, err := f.newPeer().UnmarshalMsg(mp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
