package durable_test

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/dwsdk/distributed/runtime/crdt/replica"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// gset is an in-memory grow-only set of strings, the smallest replica.State:
// deltas and states are the sorted elements joined by newlines.
type gset struct {
	mu    sync.Mutex
	items map[string]bool
	delta map[string]bool
}

var _ replica.State = (*gset)(nil)

func newGSet() *gset { return &gset{items: map[string]bool{}, delta: map[string]bool{}} }

func (g *gset) add(items ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, it := range items {
		if !g.items[it] {
			g.items[it] = true
			g.delta[it] = true
		}
	}
}

func encode(m map[string]bool) []byte {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return []byte(strings.Join(ks, "\n"))
}

func (g *gset) TakeDelta() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.delta) == 0 {
		return nil, nil
	}
	b := encode(g.delta)
	g.delta = map[string]bool{}
	return b, nil
}

func (g *gset) MergeDelta(d []byte) error { return g.MergeState(d) }

func (g *gset) MergeState(s []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, it := range strings.Split(string(s), "\n") {
		if it != "" {
			g.items[it] = true
		}
	}
	return nil
}

func (g *gset) Snapshot() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return encode(g.items), nil
}

func (g *gset) Prune([]string) error { return nil }

func (g *gset) list() []string {
	b, _ := g.Snapshot()
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\n")
}

// logFiles returns the log files in dir.
func logFiles(t testing.TB, dir string) []string {
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".log") {
			out = append(out, de.Name())
		}
	}
	return out
}
