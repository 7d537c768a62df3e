package replica_test

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/dwsdk/distributed/runtime/crdt/replica"
)

// setState is a grow-only set of strings, encoded as sorted lines.
type setState struct {
	mu      sync.Mutex
	items   map[string]bool
	pending []string
}

func (s *setState) Add(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[v] = true
	s.pending = append(s.pending, v)
}

func (s *setState) TakeDelta() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil, nil
	}
	d := strings.Join(s.pending, "\n")
	s.pending = nil
	return []byte(d), nil
}

func (s *setState) MergeDelta(d []byte) error { return s.MergeState(d) }

func (s *setState) MergeState(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range strings.Split(string(b), "\n") {
		if v != "" {
			s.items[v] = true
		}
	}
	return nil
}

func (s *setState) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var vs []string
	for v := range s.items {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return []byte(strings.Join(vs, "\n")), nil
}

func (s *setState) Prune([]string) error { return nil }

// Two engines replicate a grow-only set over an in-memory network, driven
// tick by tick (a real node calls Run instead).
func Example() {
	net := replica.NewMemNetwork(1, replica.Faults{})
	states := map[string]*setState{}
	engines := map[string]*replica.Engine{}
	for i, id := range []string{"n1", "n2"} {
		states[id] = &setState{items: map[string]bool{}}
		e, err := replica.New(replica.Config{
			ID: id, Epoch: uint64(i + 1), State: states[id],
			Transport: net.Transport(id), Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			panic(err)
		}
		engines[id] = e
	}
	engines["n1"].AddPeer("n2")
	engines["n2"].AddPeer("n1")

	states["n1"].Add("orders")
	states["n2"].Add("customers")
	for range 3 {
		for _, e := range engines {
			e.Tick()
		}
		for {
			to, env, ok := net.Next()
			if !ok {
				break
			}
			if err := engines[to].Handle(env); err != nil {
				panic(err)
			}
		}
	}
	a, _ := states["n1"].Snapshot()
	b, _ := states["n2"].Snapshot()
	fmt.Printf("n1: %q\nn2: %q\n", a, b)
	fmt.Println("buffered at n1:", engines["n1"].Stats().Buffered)
	// Output:
	// n1: "customers\norders"
	// n2: "customers\norders"
	// buffered at n1: 0
}
