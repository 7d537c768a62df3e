// Command demo is the interim demo of `make demo`: it builds a few Raft and
// SWIM wire messages, encodes each with the generated JSON and binary codecs,
// decodes them back, checks the round trip and prints the sizes. It exits
// non-zero if any round trip differs. The reference node replaces it.
package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/gen/swimwire"
)

// codec is what every generated message type provides.
type codec interface {
	MarshalJSON() ([]byte, error)
	MarshalBinary() ([]byte, error)
}

type decoder[T any] interface {
	*T
	codec
	UnmarshalJSON([]byte) error
	UnmarshalBinary([]byte) error
}

// roundTrip encodes v both ways, decodes both encodings into fresh values
// and checks they encode to the same bytes again.
func roundTrip[T any, P decoder[T]](name string, v P) error {
	js, err := v.MarshalJSON()
	if err != nil {
		return fmt.Errorf("%s: MarshalJSON: %w", name, err)
	}
	bin, err := v.MarshalBinary()
	if err != nil {
		return fmt.Errorf("%s: MarshalBinary: %w", name, err)
	}
	var fromJSON, fromBin T
	if err := P(&fromJSON).UnmarshalJSON(js); err != nil {
		return fmt.Errorf("%s: UnmarshalJSON: %w", name, err)
	}
	if err := P(&fromBin).UnmarshalBinary(bin); err != nil {
		return fmt.Errorf("%s: UnmarshalBinary: %w", name, err)
	}
	js2, _ := P(&fromJSON).MarshalJSON()
	bin2, _ := P(&fromBin).MarshalBinary()
	if !bytes.Equal(js, js2) || !bytes.Equal(bin, bin2) {
		return fmt.Errorf("%s: round trip changed the message", name)
	}
	fmt.Printf("%-34s json %5d B   binary %5d B   (%.0f%%)\n", name, len(js), len(bin), 100*float64(len(bin))/float64(len(js)))
	return nil
}

func main() {
	entries := make([]raftwire.Entry, 64)
	for i := range entries {
		entries[i] = raftwire.Entry{Index: uint64(100 + i), Term: 7, Type: raftwire.EntryNormal, Data: bytes.Repeat([]byte{byte(i)}, 128)}
	}
	ae := &raftwire.AppendEntries{Term: 7, LeaderID: "node-1", PrevLogIndex: 99, PrevLogTerm: 7, Entries: entries, LeaderCommit: 120}
	cfg := raftwire.Configuration{Servers: []raftwire.Server{
		{ID: "node-1", Address: "127.0.0.1:7001", Suffrage: raftwire.Voter},
		{ID: "node-2", Address: "127.0.0.1:7002", Suffrage: raftwire.Voter},
		{ID: "node-3", Address: "127.0.0.1:7003", Suffrage: raftwire.Learner},
	}}
	alive := make([]swimwire.PushNodeState, 8)
	for i := range alive {
		alive[i] = swimwire.PushNodeState{Name: fmt.Sprintf("node-%d", i), Addr: fmt.Sprintf("127.0.0.1:%d", 7946+i),
			Meta: []byte(`{"zone":"a"}`), Incarnation: uint32(i + 1), State: swimwire.StateAlive}
	}
	fmt.Printf("crdtgen demo (%s): generated codecs, encode -> decode -> compare\n\n", time.Now().UTC().Format(time.RFC3339))
	errs := []error{
		roundTrip("raftwire.RequestVote", &raftwire.RequestVote{Term: 8, CandidateID: "node-2", LastLogIndex: 163, LastLogTerm: 7, PreVote: true}),
		roundTrip("raftwire.AppendEntries (64x128B)", ae),
		roundTrip("raftwire.Message{AppendEntries}", &raftwire.Message{From: "node-1", To: "node-2", AppendEntries: ae}),
		roundTrip("raftwire.InstallSnapshot", &raftwire.InstallSnapshot{Term: 7, LeaderID: "node-1", LastIncludedIndex: 99, LastIncludedTerm: 6, Configuration: cfg, Data: bytes.Repeat([]byte("snap"), 256), Done: true, TotalSize: 1024}),
		roundTrip("swimwire.Ping", &swimwire.Ping{SeqNo: 42, Target: "node-3", SourceNode: "node-1", SourceAddr: "127.0.0.1:7946"}),
		roundTrip("swimwire.Alive", &swimwire.Alive{Incarnation: 3, Node: "node-4", Addr: "127.0.0.1:7950", Meta: []byte("zone=a")}),
		roundTrip("swimwire.PushPull (8 nodes)", &swimwire.PushPull{Join: true, Nodes: alive}),
	}
	failed := false
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
			failed = true
		}
	}
	var bad raftwire.AppendEntries
	err := bad.UnmarshalBinary([]byte{0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	fmt.Printf("\na corrupt frame is refused with a precise error:\n  %v\n", err)
	if err == nil || failed {
		os.Exit(1)
	}
	fmt.Println("\nall round trips OK")
}
