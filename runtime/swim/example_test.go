package swim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dwsdk/distributed/runtime/swim"
)

func Example() {
	start := func(name string) *swim.Node {
		cfg := swim.DefaultLocalConfig() // binds 127.0.0.1:0
		cfg.Name = name
		n, err := swim.Create(cfg)
		if err != nil {
			panic(err)
		}
		return n
	}
	a, b := start("a"), start("b")
	defer a.Shutdown()
	defer b.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.Join(ctx, a.LocalNode().Addr); err != nil {
		panic(err)
	}
	fmt.Println(a.NumMembers(), b.NumMembers())
	if err := b.Leave(ctx); err != nil {
		panic(err)
	}
	// Output: 2 2
}

func ExampleSim() {
	sim := swim.NewSim(42)
	var nodes []*swim.Node
	for i := range 50 {
		cfg := swim.DefaultLANConfig()
		cfg.Name = fmt.Sprintf("n%d", i)
		n, err := sim.AddNode(cfg)
		if err != nil {
			panic(err)
		}
		nodes = append(nodes, n)
	}
	sim.Bootstrap(nodes...)
	sim.Kill(nodes[7])
	sim.Run(30 * time.Second) // virtual time: takes milliseconds
	m, _ := nodes[0].Member("n7")
	fmt.Println(m.State)
	// Output: dead
}
