package autoscale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Scaler is the auto-scaler contract (the seed's IAutoScaler). Evaluate reads
// the metrics once, decides and carries the decision out; Run evaluates every
// Config.Interval until its context ends. Implementations are safe for
// concurrent use: concurrent Evaluate calls are serialised, so two of them
// never act on the same reading twice.
type Scaler interface {
	Evaluate(ctx context.Context) (Decision, error)
	Run(ctx context.Context) error
}

// Autoscaler is the production Scaler: it reads metrics from a
// MetricProvider, applies the Config's rules, asks the health checks, and
// acts through an Executor.
type Autoscaler struct {
	cfg     Config
	specs   []metricSpec
	metrics MetricProvider
	exec    Executor
	clock   Clock
	log     *slog.Logger

	mu        sync.Mutex // serialises evaluations; guards the fields below
	lastEvent time.Time
	// lastUp is the latest scale-up: nodes before and after, and when.
	lastUp struct {
		at            time.Time
		before, after int
	}
	history map[string]*series

	// statsMu guards the counters and the observer apart from mu, so
	// that reading them never waits for an executor.
	statsMu  sync.Mutex
	stats    Stats
	observer func(Decision)
}

var _ Scaler = (*Autoscaler)(nil)

// New returns a production scaler, or an error naming the first invalid
// setting.
func New(cfg Config, metrics MetricProvider, exec Executor) (*Autoscaler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if metrics == nil || exec == nil {
		return nil, fmt.Errorf("%w: New needs a MetricProvider and an Executor", ErrInvalidConfig)
	}
	a := &Autoscaler{cfg: cfg, specs: cfg.specs(), metrics: metrics, exec: exec,
		clock: cfg.Clock, log: cfg.Logger, history: map[string]*series{}}
	if a.clock == nil {
		a.clock = SystemClock{}
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	return a, nil
}

// Stats are counters since New, for the caller to export (the reference
// node serves them to Prometheus).
type Stats struct {
	Evaluations uint64
	// ScaleUps and ScaleDowns count executed events, NodesAdded and
	// NodesRemoved the nodes they changed.
	ScaleUps, ScaleDowns       uint64
	NodesAdded, NodesRemoved   uint64
	BlockedByCooldown          uint64
	BlockedByBounds            uint64
	BlockedByHealth            uint64
	BlockedByUnreadable        uint64
	ExecutorErrors, ReadErrors uint64
}

// Stats returns a snapshot of the counters. It does not wait for an
// evaluation in progress (which is counted when it ends).
func (a *Autoscaler) Stats() Stats {
	a.statsMu.Lock()
	defer a.statsMu.Unlock()
	return a.stats
}

// count updates the counters from one decision; a.statsMu is held.
func (a *Autoscaler) count(d *Decision) {
	a.stats.Evaluations++
	for _, r := range d.Readings {
		if r.Vote == VoteUnreadable {
			a.stats.ReadErrors++
		}
	}
	for _, b := range d.Blocked {
		switch b.Kind {
		case BlockCooldown:
			a.stats.BlockedByCooldown++
		case BlockBounds:
			a.stats.BlockedByBounds++
		case BlockHealth:
			a.stats.BlockedByHealth++
		case BlockUnreadable:
			a.stats.BlockedByUnreadable++
		case BlockExecutor:
			a.stats.ExecutorErrors++
		}
	}
	if ev := d.Event; ev != nil {
		switch changed := ev.After - ev.Before; {
		case changed > 0:
			a.stats.ScaleUps++
			a.stats.NodesAdded += uint64(changed)
		case changed < 0:
			a.stats.ScaleDowns++
			a.stats.NodesRemoved += uint64(-changed)
		}
	}
}

// NoteEvent tells the scaler of a scale event it did not make (one by a
// previous leader, before a restart, or by another controller), so that
// the cooldown also runs from at. A time before the last event the scaler
// knows of changes nothing; a time after now (another machine's clock)
// counts as now. Safe for concurrent use; it waits for an evaluation in
// progress.
func (a *Autoscaler) NoteEvent(at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	if at.After(now) {
		at = now
	}
	// Re-expressed from now, at carries now's monotonic reading, so a
	// later step of the wall clock does not stretch the cooldown.
	at = now.Add(-now.Sub(at))
	if at.After(a.lastEvent) {
		a.lastEvent = at
	}
}

// Config returns the configuration the scaler runs with.
func (a *Autoscaler) Config() Config { return a.cfg }

// OnDecision registers f to be called with every decision, synchronously
// at the end of Evaluate. f must not call Evaluate.
func (a *Autoscaler) OnDecision(f func(Decision)) {
	a.statsMu.Lock()
	defer a.statsMu.Unlock()
	a.observer = f
}

// Evaluate reads every metric, decides and, when the decision changes the
// cluster, calls the Executor. The returned Decision describes the outcome
// even when err is not nil (an executor failure is in Decision.Event.Error
// and Blocked as well). It returns an error without a decision only when the
// node count cannot be read or ctx is done.
func (a *Autoscaler) Evaluate(ctx context.Context) (Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	now := a.clock.Now()
	current, err := a.exec.Nodes(ctx)
	if err != nil {
		return Decision{}, fmt.Errorf("autoscale: read node count: %w", err)
	}
	d := a.cfg.plan(now, current, a.read(ctx, now, current), a.lastEvent)
	if d.Delta != 0 {
		a.vetoIfUnhealthy(ctx, &d)
	}
	if d.Delta != 0 {
		err = a.execute(ctx, &d)
	}
	a.statsMu.Lock()
	a.count(&d)
	observer := a.observer
	a.statsMu.Unlock()
	if observer != nil {
		observer(d)
	}
	return d, err
}

// read samples every metric; with Predictive it also projects each one.
func (a *Autoscaler) read(ctx context.Context, now time.Time, current int) []sample {
	out := make([]sample, 0, len(a.specs))
	for _, spec := range a.specs {
		s := sample{spec: spec}
		s.value, s.err = a.metrics.Metric(ctx, spec.source)
		s.lowerBound = errors.Is(s.err, ErrPartial)
		if s.err == nil && spec.nonNegative && s.value < 0 {
			s.err = fmt.Errorf("read %v, but %s cannot be negative", s.value, spec.source)
		}
		if spec.perNode && (s.err == nil || s.lowerBound) {
			s.unserved = s.err == nil && current == 0 && s.value > 0
			s.value /= float64(max(current, 1)) // a lower bound stays one
		}
		if s.err != nil {
			a.log.Warn("autoscale: metric unreadable", "metric", spec.name, "err", s.err)
		}
		if p := a.cfg.Predictive; p != nil && s.err == nil && spec.utilisation && a.starting(now) {
			// Utilisation measured before the nodes of the last scale-up
			// were ready: spread it over the capacity that is coming.
			s.value *= float64(a.lastUp.before) / float64(a.lastUp.after)
			s.adjusted = a.lastUp.after - a.lastUp.before
		}
		if p := a.cfg.Predictive; p != nil && s.err == nil && finite(s.value) {
			h := a.history[spec.name]
			if h == nil {
				h = &series{}
				a.history[spec.name] = h
			}
			h.add(now, s.value, p.Window)
			if slope, ok := h.slope(); ok {
				s.projected = s.value + slope*p.Horizon.Seconds()
				s.peak, s.hasProj, s.horizon = h.peak(), true, p.Horizon
			} else {
				s.young = true
			}
		}
		out = append(out, s)
	}
	return out
}

// starting reports whether nodes of the last scale-up may still be starting,
// or were not ready for the whole of the latest measurement: within
// Predictive.Horizon (the start-up delay) plus one Interval of it.
func (a *Autoscaler) starting(now time.Time) bool {
	return !a.lastUp.at.IsZero() && a.lastUp.after > a.lastUp.before &&
		now.Sub(a.lastUp.at) < a.cfg.Predictive.Horizon+a.cfg.Interval
}

// vetoIfUnhealthy runs the health checks and cancels the change if any fails.
func (a *Autoscaler) vetoIfUnhealthy(ctx context.Context, d *Decision) {
	var failed []Block
	for _, h := range a.cfg.HealthChecks {
		if err := h.Check(ctx); err != nil {
			failed = append(failed, Block{Kind: BlockHealth, Detail: fmt.Sprintf("health check %q: %v", h.Name, err)})
		}
	}
	if len(failed) > 0 {
		d.Blocked = append(d.Blocked, failed...)
		setDelta(d, 0)
	}
}

// execute carries a decided change out and records it.
func (a *Autoscaler) execute(ctx context.Context, d *Decision) error {
	n := int(d.Delta)
	var res Result
	var err error
	if n > 0 {
		res, err = a.exec.ScaleUp(ctx, n)
	} else {
		n = -n
		res, err = a.exec.ScaleDown(ctx, n)
	}
	ev := &ScaleEvent{AtUnixMilli: a.clock.Now().UnixMilli(), Action: d.Action, Requested: int32(n),
		Nodes: res.Nodes, Before: int32(res.Before), After: int32(res.After)}
	d.Event = ev
	if res.Changed > 0 {
		a.lastEvent = a.clock.Now()
		if d.Action == ActionScaleUp {
			a.lastUp.at, a.lastUp.before, a.lastUp.after = a.lastEvent, res.Before, res.After
		}
	}
	if err != nil {
		ev.Error = err.Error()
		d.Blocked = append(d.Blocked, Block{Kind: BlockExecutor, Detail: fmt.Sprintf("changed %d of %d nodes: %v", res.Changed, n, err)})
		a.log.Error("autoscale: scale event failed", "action", ActionString(d.Action), "requested", n, "changed", res.Changed, "err", err)
		return fmt.Errorf("autoscale: %s by %d: %w", ActionString(d.Action), n, err)
	}
	if res.Changed < n {
		d.Blocked = append(d.Blocked, Block{Kind: BlockExecutor, Detail: fmt.Sprintf("changed %d of %d nodes", res.Changed, n)})
	}
	a.log.Info("autoscale: scale event", "action", ActionString(d.Action), "requested", n, "changed", res.Changed,
		"before", res.Before, "after", res.After, "reason", d.Reason)
	return nil
}

// Run evaluates every Config.Interval until ctx is done, logging failed
// evaluations, and returns ctx.Err().
func (a *Autoscaler) Run(ctx context.Context) error {
	t := a.clock.NewTicker(a.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C():
			if _, err := a.Evaluate(ctx); err != nil && !errors.Is(err, ctx.Err()) {
				a.log.Error("autoscale: evaluation failed", "err", err)
			}
		}
	}
}
