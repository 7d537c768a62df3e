package stream_test

import (
	"context"
	"fmt"
	"log"
	"sync"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/crdt/replica/stream"
)

// Two nodes, each with its own stream; a resolver maps names to the
// advertised addresses (dwnode reads them from SWIM metadata).
func ExampleNew() {
	var mu sync.Mutex
	addrs := map[string]string{}
	resolve := func(name string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		return addrs[name], nil
	}
	ctx := context.Background()
	n1, err := stream.New(ctx, stream.Config{ID: "n1", Resolve: resolve})
	if err != nil {
		log.Fatal(err)
	}
	defer n1.Close()
	n2, err := stream.New(ctx, stream.Config{ID: "n2", Resolve: resolve})
	if err != nil {
		log.Fatal(err)
	}
	defer n2.Close()
	mu.Lock()
	addrs["n1"], addrs["n2"] = n1.Addr(), n2.Addr()
	mu.Unlock()

	// n1's engine sends a full state to n2 (replica.Config.Transport: n1).
	if err := n1.Send("n2", &replicawire.Envelope{From: "n1", Epoch: 1, State: &replicawire.State{Seq: 3, Data: []byte("…")}}); err != nil {
		log.Fatal(err)
	}
	env := <-n2.Inbound()
	fmt.Println(env.From, env.State.Seq)
	// Output: n1 3
}
