package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
)

// recordKeys are the table records the load updates.
var recordKeys = []string{"orders", "customers", "lineitems", "parts", "suppliers"}

// load sends a steady stream of requests to the alive nodes: 70 % record
// increments, 30 % KV writes. It remembers what was acknowledged.
type load struct {
	d      *demo
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu                            sync.Mutex
	targets                       []string // HTTP addresses of alive nodes
	attempted, acked, replicated  map[string]int64
	sent, failed, kvOK, recordsOK atomic.Int64
}

func (d *demo) startLoad(parent context.Context) *load {
	ctx, cancel := context.WithCancel(parent)
	l := &load{d: d, cancel: cancel, attempted: map[string]int64{}, acked: map[string]int64{}, replicated: map[string]int64{}}
	l.refresh(ctx)
	l.wg.Go(func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				l.refresh(ctx)
			}
		}
	})
	const workers = 12
	period := time.Duration(float64(time.Second) * workers / loadRate)
	for w := range workers {
		l.wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			t := time.NewTicker(period)
			defer t.Stop()
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				l.one(ctx, rng, fmt.Sprintf("w%d-%d", w, n))
			}
		})
	}
	return l
}

// refresh updates the list of alive nodes.
func (l *load) refresh(ctx context.Context) {
	alive, err := l.d.alive(ctx)
	if err != nil || len(alive) == 0 {
		return
	}
	var t []string
	for _, m := range alive {
		t = append(t, m.HTTPAddr)
	}
	l.mu.Lock()
	l.targets = t
	l.mu.Unlock()
}

// one sends one request.
func (l *load) one(ctx context.Context, rng *rand.Rand, id string) {
	l.mu.Lock()
	if len(l.targets) == 0 {
		l.mu.Unlock()
		return
	}
	addr := l.targets[rng.IntN(len(l.targets))]
	l.mu.Unlock()
	l.sent.Add(1)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if rng.IntN(10) < 3 {
		if _, err := l.d.cli.KVPut(rctx, addr, "load/"+id, id); err != nil {
			l.failed.Add(1)
			return
		}
		l.kvOK.Add(1)
		return
	}
	key := recordKeys[rng.IntN(len(recordKeys))]
	l.mu.Lock()
	l.attempted[key]++
	l.mu.Unlock()
	_, repl, err := l.d.cli.Update(rctx, addr, "tables", key,
		nodeapi.RecordOp{Op: "inc", Field: "row_count", By: 1},
		nodeapi.RecordOp{Op: "inc", Field: "partitions", Key: fmt.Sprintf("p%d", rng.IntN(4)), By: 1})
	if err != nil {
		l.failed.Add(1)
		return
	}
	l.recordsOK.Add(1)
	l.mu.Lock()
	l.acked[key]++
	if repl {
		l.replicated[key]++
	}
	l.mu.Unlock()
}

// stop ends the load and waits for requests in flight.
func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// verify checks, on one node, that every record holds at least the
// increments acknowledged as replicated and at most those attempted.
func (l *load) verify(ctx context.Context, addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range recordKeys {
		b, err := l.d.cli.Record(ctx, addr, "tables", key)
		if err != nil {
			return err
		}
		var v struct {
			Rows int64 `json:"row_count"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		if v.Rows < l.replicated[key] || v.Rows > l.attempted[key] {
			return fmt.Errorf("tables/%s rows %d, want between %d (acknowledged, replicated) and %d (attempted)",
				key, v.Rows, l.replicated[key], l.attempted[key])
		}
	}
	return nil
}
