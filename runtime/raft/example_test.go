package raft_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
)

// counter is a tiny FSM: every command adds its length.
type counter struct{ total int }

func (c *counter) Apply(_ uint64, cmd []byte) any      { c.total += len(cmd); return c.total }
func (c *counter) Snapshot() (raft.FSMSnapshot, error) { return snap(c.total), nil }
func (c *counter) Restore(r io.Reader) error {
	_, err := fmt.Fscan(r, &c.total)
	return err
}

type snap int

func (s snap) Persist(w io.Writer) error { _, err := fmt.Fprint(w, int(s)); return err }
func (s snap) Release()                  {}

// A single-server cluster on the in-memory network: bootstrap, wait for the
// election, propose and read linearizably.
func Example() {
	ctx := context.Background()
	nw := raft.NewNetwork(1)
	defer nw.Close()
	tr, _ := nw.Transport("n1")

	cfg := raft.DefaultConfig()
	cfg.LocalID = "n1"
	fsm := &counter{}
	n, err := raft.NewNode(cfg, raft.Deps{
		FSM: fsm, Logs: raft.NewMemLogStore(), Stable: raft.NewMemStableStore(),
		Snapshots: raft.NewMemSnapshotStore(), Transport: tr,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()
	conf := raftwire.Configuration{Servers: []raftwire.Server{{ID: "n1", Address: "n1", Suffrage: raftwire.Voter}}}
	if err := n.Bootstrap(ctx, conf); err != nil {
		fmt.Println(err)
		return
	}
	for n.Role() != raft.Leader {
		time.Sleep(time.Millisecond)
	}
	res, err := n.Propose(ctx, []byte("hello"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("applied, total", res.Response)
	if _, err := n.ReadIndex(ctx); err == nil {
		fmt.Println("read", fsm.total)
	}
	// Output:
	// applied, total 5
	// read 5
}
