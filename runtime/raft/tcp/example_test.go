package tcp_test

import (
	"context"
	"fmt"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft/tcp"
)

func Example() {
	ctx := context.Background()
	newNode := func(id string) *tcp.Transport {
		cfg := tcp.DefaultConfig()
		cfg.ID = id // ListenAddr defaults to 127.0.0.1:0
		tr, err := tcp.New(ctx, cfg)
		if err != nil {
			panic(err)
		}
		// Only servers of the configuration may talk to each other.
		tr.SetPeers([]raftwire.Server{{ID: "n1"}, {ID: "n2"}})
		return tr
	}
	n1, n2 := newNode("n1"), newNode("n2")
	defer n1.Close()
	defer n2.Close()

	err := n1.Send(n2.LocalAddr(), &raftwire.Message{From: "n1", To: "n2",
		RequestVote: &raftwire.RequestVote{Term: 2, CandidateID: "n1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := <-n2.Inbound()
	fmt.Printf("%s asks %s for a vote in term %d\n", m.From, m.To, m.RequestVote.Term)
	// Output: n1 asks n2 for a vote in term 2
}
