package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/dwsdk/distributed/runtime/autoscale"
)

// Policy scales a simulated cluster. Control is called every Interval of
// simulated time.
type Policy interface {
	Name() string
	Interval() time.Duration
	// Start prepares a replay (a policy may be replayed more than once).
	Start(c *Cluster) error
	Control(c *Cluster) error
}

// Ours drives the production autoscale.Autoscaler: the cluster is its
// MetricProvider and its Executor, and a ManualClock follows simulated time.
type Ours struct {
	name string
	cfg  autoscale.Config

	a     *autoscale.Autoscaler
	clock *autoscale.ManualClock
	c     *Cluster
	obs   Observation
}

// epoch is simulated second 0 on the scaler's clock.
var epoch = time.Date(1995, 7, 1, 0, 0, 0, 0, time.UTC)

// NewOurs returns a policy running the production scaler with cfg (its
// Clock and Logger are replaced).
func NewOurs(name string, cfg autoscale.Config) *Ours { return &Ours{name: name, cfg: cfg} }

// Name implements Policy.
func (o *Ours) Name() string { return o.name }

// Interval implements Policy.
func (o *Ours) Interval() time.Duration { return o.cfg.Interval }

// Start implements Policy.
func (o *Ours) Start(c *Cluster) error {
	o.c = c
	o.clock = autoscale.NewManualClock(epoch)
	cfg := o.cfg
	cfg.Clock = o.clock
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := autoscale.New(cfg, autoscale.MetricFunc(o.metric), clusterExecutor{c})
	if err != nil {
		return fmt.Errorf("sim: %s: %w", o.name, err)
	}
	o.a = a
	return nil
}

// Control implements Policy.
func (o *Ours) Control(c *Cluster) error {
	o.clock.Set(epoch.Add(time.Duration(c.Now()) * time.Second))
	o.obs = c.Observe()
	_, err := o.a.Evaluate(context.Background())
	return err
}

func (o *Ours) metric(_ context.Context, name string) (float64, error) {
	switch name {
	case autoscale.MetricCPU:
		return o.obs.CPU, nil
	case autoscale.MetricMemory:
		return o.obs.Memory, nil
	case autoscale.MetricQueueDepth:
		return o.obs.Queue, nil
	}
	return 0, fmt.Errorf("%w %q", autoscale.ErrUnknownMetric, name)
}

// clusterExecutor is the autoscale.Executor of a simulated cluster.
type clusterExecutor struct{ c *Cluster }

func (e clusterExecutor) ScaleUp(_ context.Context, n int) (autoscale.Result, error) {
	before := e.c.Nodes()
	k := e.c.Add(n)
	return autoscale.Result{Changed: k, Before: before, After: e.c.Nodes()}, nil
}

func (e clusterExecutor) ScaleDown(_ context.Context, n int) (autoscale.Result, error) {
	before := e.c.Nodes()
	k := e.c.Remove(n)
	return autoscale.Result{Changed: k, Before: before, After: e.c.Nodes()}, nil
}

func (e clusterExecutor) Nodes(context.Context) (int, error) { return e.c.Nodes(), nil }

// Static is a fixed fleet, ready from the start.
type Static struct{ N int }

// StaticPeak sizes a static fleet for the peak of load.
func StaticPeak(load []float64, m Model) *Static {
	peak := 0.0
	for _, v := range load {
		peak = max(peak, v)
	}
	return &Static{N: max(1, int(math.Ceil(peak/m.Capacity)))}
}

// Name implements Policy.
func (s *Static) Name() string { return "static-peak" }

// Interval implements Policy.
func (s *Static) Interval() time.Duration { return time.Hour }

// Start implements Policy: the fleet is ready at second 0.
func (s *Static) Start(c *Cluster) error {
	c.readyAt = c.readyAt[:0]
	for range s.N {
		c.readyAt = append(c.readyAt, 0)
	}
	c.ready = s.N
	return nil
}

// Control implements Policy.
func (s *Static) Control(*Cluster) error { return nil }

// DefaultPolicies are the policies of the README's table: the production
// scaler with the seed's defaults and with the look-ahead option, the HPA
// algorithm at target CPU utilisation hpaTarget, and (added by Compare's
// caller from the load) a static peak-sized fleet.
func DefaultPolicies(m Model, hpaTarget float64) []Policy {
	seed := autoscale.DefaultConfig()
	predictive := autoscale.DefaultConfig()
	predictive.Predictive = autoscale.DefaultPredictive(m.Startup)
	return []Policy{
		NewOurs("ours (seed defaults)", seed),
		NewOurs("ours (predictive)", predictive),
		DefaultHPA(hpaTarget),
	}
}
