package wal_test

import (
	"fmt"
	"os"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

func Example() {
	dir, _ := os.MkdirTemp("", "wal-example")
	defer os.RemoveAll(dir)

	w, err := wal.Open(dir, wal.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	// Append returns once the entries are fsynced.
	err = w.Append([]raftwire.Entry{
		{Index: 1, Term: 1, Data: []byte("x=1")},
		{Index: 2, Term: 1, Data: []byte("x=2")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A leader of term 2 overwrites entry 2.
	_ = w.Append([]raftwire.Entry{{Index: 2, Term: 2, Data: []byte("x=3")}})
	w.Close()

	w, _ = wal.Open(dir, wal.DefaultConfig()) // as after a restart
	defer w.Close()
	last, _ := w.LastIndex()
	es, _ := w.Entries(1, last+1, 0)
	for _, e := range es {
		fmt.Printf("%d/%d %s\n", e.Index, e.Term, e.Data)
	}
	// Output:
	// 1/1 x=1
	// 2/2 x=3
}
