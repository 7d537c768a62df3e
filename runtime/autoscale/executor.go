package autoscale

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrInvalidRequest is returned by executors asked to change fewer than one
// node.
var ErrInvalidRequest = errors.New("autoscale: invalid scale request")

// Executor changes the size of the cluster. ScaleUp and ScaleDown return
// what was actually done, which may be less than asked (a node that failed to
// start, fewer nodes than asked to remove); with an error the Result still
// describes any partial change. Implementations must be safe for concurrent
// use.
type Executor interface {
	ScaleUp(ctx context.Context, n int) (Result, error)
	ScaleDown(ctx context.Context, n int) (Result, error)
	// Nodes returns the current node count (including nodes still
	// starting).
	Nodes(ctx context.Context) (int, error)
}

// Result is what an executor did.
type Result struct {
	// Changed is how many nodes were actually added or removed.
	Changed int
	// Nodes names them, when the executor knows their names.
	Nodes []string
	// Before and After are the node counts around the change.
	Before, After int
}

// Recorded is one call a Recorder received.
type Recorded struct {
	Action    string // "scale-up" or "scale-down"
	Requested int
	Result    Result
}

// Recorder is the in-memory Executor: it keeps a list of node names, adds
// and removes them (newest first) and records every call. Safe for
// concurrent use.
type Recorder struct {
	mu      sync.Mutex
	nodes   []string
	next    int
	calls   []Recorded
	failErr error
}

// NewRecorder returns a Recorder with initial nodes named node-0 ... .
func NewRecorder(initial int) *Recorder {
	r := &Recorder{}
	for range initial {
		r.nodes = append(r.nodes, r.name())
	}
	return r
}

func (r *Recorder) name() string {
	n := fmt.Sprintf("node-%d", r.next)
	r.next++
	return n
}

// FailWith makes every later call fail with err (nil to succeed again).
func (r *Recorder) FailWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failErr = err
}

// ScaleUp adds n nodes.
func (r *Recorder) ScaleUp(ctx context.Context, n int) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Before: len(r.nodes), After: len(r.nodes)}
	if err := r.check(ctx, n); err != nil {
		return res, fmt.Errorf("recorder: scale up by %d: %w", n, err)
	}
	for range n {
		name := r.name()
		r.nodes = append(r.nodes, name)
		res.Nodes = append(res.Nodes, name)
	}
	res.Changed, res.After = n, len(r.nodes)
	r.calls = append(r.calls, Recorded{Action: "scale-up", Requested: n, Result: res})
	return res, nil
}

// ScaleDown removes up to n nodes, newest first.
func (r *Recorder) ScaleDown(ctx context.Context, n int) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Before: len(r.nodes), After: len(r.nodes)}
	if err := r.check(ctx, n); err != nil {
		return res, fmt.Errorf("recorder: scale down by %d: %w", n, err)
	}
	k := min(n, len(r.nodes))
	for range k {
		last := len(r.nodes) - 1
		res.Nodes = append(res.Nodes, r.nodes[last])
		r.nodes = r.nodes[:last]
	}
	res.Changed, res.After = k, len(r.nodes)
	r.calls = append(r.calls, Recorded{Action: "scale-down", Requested: n, Result: res})
	return res, nil
}

func (r *Recorder) check(ctx context.Context, n int) error {
	if n < 1 {
		return fmt.Errorf("%w: node count %d", ErrInvalidRequest, n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.failErr
}

// Nodes returns the node count.
func (r *Recorder) Nodes(context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.nodes), nil
}

// Names returns the current node names, oldest first.
func (r *Recorder) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.nodes...)
}

// Calls returns every successful call so far, in order.
func (r *Recorder) Calls() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Recorded(nil), r.calls...)
}
