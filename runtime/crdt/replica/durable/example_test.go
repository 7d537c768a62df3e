package durable_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/dwsdk/distributed/runtime/crdt/replica/durable"
)

// A writer applies its update, lets the engine take the delta (here
// TakeDelta directly; in a node Engine.Flush does it) and acknowledges only
// after Sync: a restart then finds the update.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "durable-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	set := newGSet()
	st, err := durable.Open(durable.Config{Dir: dir, State: set})
	if err != nil {
		log.Fatal(err)
	}
	set.add("apple")
	if _, err := st.TakeDelta(); err != nil {
		log.Fatal(err)
	}
	if err := st.Sync(context.Background()); err != nil {
		log.Fatal(err)
	}
	st.Close()

	restored := newGSet()
	st, err = durable.Open(durable.Config{Dir: dir, State: restored})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	fmt.Println(restored.list())
	// Output: [apple]
}
