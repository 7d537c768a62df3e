package autoscale

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// MetricProvider reads a metric by name. The scaler asks for MetricCPU and
// MetricMemory (percent), MetricQueueDepth (total queued items) and the names
// of the configured custom metrics. An error makes the metric unreadable for
// that evaluation: it cannot cause a scale-down. So does a value that is not
// a finite number, or a negative CPU, memory or queue depth. A provider
// that could read only part of a metric returns the part with an error
// wrapping ErrPartial: a lower bound, which scales up if even it is above
// the up threshold and otherwise counts as unreadable. Implementations
// must be safe for concurrent use.
type MetricProvider interface {
	Metric(ctx context.Context, name string) (float64, error)
}

// ErrPartial is wrapped by the error of a provider that could read only
// part of a metric: a sum over nodes some of which did not answer. The
// value it returns with it is then the part it read, a lower bound.
var ErrPartial = errors.New("autoscale: partial reading")

// ErrUnknownMetric is returned by providers for a name they do not serve.
var ErrUnknownMetric = errors.New("autoscale: unknown metric")

// MetricFunc adapts a function to MetricProvider.
type MetricFunc func(ctx context.Context, name string) (float64, error)

// Metric calls f.
func (f MetricFunc) Metric(ctx context.Context, name string) (float64, error) { return f(ctx, name) }

// Gauge is a float64 the application sets (a queue depth, a latency) and a
// provider reads. The zero value is 0 and ready to use; safe for concurrent
// use.
type Gauge struct{ bits atomic.Uint64 }

// Set stores v.
func (g *Gauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Add adds delta atomically.
func (g *Gauge) Add(delta float64) {
	for {
		old := g.bits.Load()
		if g.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+delta)) {
			return
		}
	}
}

// Value returns the current value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

// StaticMetrics is an in-memory MetricProvider for tests and the in-memory
// scaler: Set a value or an error per name. Safe for concurrent use.
type StaticMetrics struct {
	mu     sync.Mutex
	values map[string]float64
	errs   map[string]error
}

// NewStaticMetrics returns a provider serving values.
func NewStaticMetrics(values map[string]float64) *StaticMetrics {
	s := &StaticMetrics{values: map[string]float64{}, errs: map[string]error{}}
	for k, v := range values {
		s.values[k] = v
	}
	return s
}

// Set makes name read v.
func (s *StaticMetrics) Set(name string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[name] = v
	delete(s.errs, name)
}

// Fail makes name fail with err.
func (s *StaticMetrics) Fail(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs[name] = err
}

// Metric returns the value set for name.
func (s *StaticMetrics) Metric(_ context.Context, name string) (float64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err, ok := s.errs[name]; ok {
		return 0, err
	}
	v, ok := s.values[name]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownMetric, name)
	}
	return v, nil
}
