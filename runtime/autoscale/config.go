package autoscale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Built-in metric names, as asked of the MetricProvider. QueueDepth is the
// total queue; the scaler divides it by the node count and reports it as
// QueueDepthPerNode.
const (
	MetricCPU               = "cpu"
	MetricMemory            = "memory"
	MetricQueueDepth        = "queue_depth"
	MetricQueueDepthPerNode = "queue_depth_per_node"
)

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("autoscale: invalid config")

// Thresholds are a metric's scale-up and scale-down thresholds: a reading
// above Up asks for more nodes, a reading below Down allows fewer.
type Thresholds struct {
	Up   float64
	Down float64
	// Disabled leaves the metric out of every decision.
	Disabled bool
}

// CustomMetric is a metric read from the MetricProvider by Name and compared
// with its own thresholds.
type CustomMetric struct {
	Name string
	Thresholds
}

// HealthCheck can veto a scale event: while Check returns an error the
// scaler changes nothing.
type HealthCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Predictive configures the optional look-ahead of the production scaler
// (off by default, i.e. the seed's behaviour). With it, each metric is
// projected Horizon ahead along the linear trend fitted over Window and the
// projection is compared with the up threshold; until Horizon plus one
// Interval after a scale-up (while the new nodes may not yet have served a
// whole measurement), CPU and memory are spread over the nodes that are
// coming; a scale-up adds at least enough nodes to bring the projected CPU
// and memory to Target of their up thresholds (at most doubling); a
// scale-down needs the current, projected and window-peak readings below
// the down thresholds and removes what keeps the peak at Target.
type Predictive struct {
	// Horizon is how far ahead to look; set it to the node start-up delay.
	Horizon time.Duration
	// Window is the history the trend is fitted over.
	Window time.Duration
	// Target is the fraction (0..1] of each up threshold a scale-up sizes
	// the cluster for.
	Target float64
}

// Config configures a Scaler. Build it with DefaultConfig and change what
// you need; New validates it.
type Config struct {
	CPU        Thresholds // utilisation in percent
	Memory     Thresholds // utilisation in percent
	QueueDepth Thresholds // queued items per node
	Custom     []CustomMetric

	// Cooldown is the least time between two scale events.
	Cooldown time.Duration
	// Interval is how often Run evaluates.
	Interval time.Duration

	// ScaleUpPercent and ScaleUpMin size a scale-up:
	// max(ceil(current*ScaleUpPercent/100), ScaleUpMin) nodes.
	ScaleUpPercent float64
	ScaleUpMin     int
	// ScaleDownStep is how many nodes a scale-down removes: fewer, or
	// none, when the CPU, memory or queue depth per node spread over the
	// nodes left would be above its up threshold (which would flap).
	ScaleDownStep int

	MinNodes int
	MaxNodes int

	// Predictive, when not nil, turns on the look-ahead (see Predictive).
	Predictive *Predictive

	// HealthChecks veto scale events while any fails.
	HealthChecks []HealthCheck

	// Clock tells the time; nil means the system clock.
	Clock Clock
	// Logger receives one record per scale event and per failed read; nil
	// means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the seed's policy: CPU 80 %/30 %, memory 85 %/40 %,
// queue depth per node >100/<10, 60 s cooldown, scale-up by ceil(50 %) and at
// least 1, scale-down by 1, 1 to 100 nodes, evaluation every 15 s.
func DefaultConfig() Config {
	return Config{
		CPU:            Thresholds{Up: 80, Down: 30},
		Memory:         Thresholds{Up: 85, Down: 40},
		QueueDepth:     Thresholds{Up: 100, Down: 10},
		Cooldown:       60 * time.Second,
		Interval:       15 * time.Second,
		ScaleUpPercent: 50,
		ScaleUpMin:     1,
		ScaleDownStep:  1,
		MinNodes:       1,
		MaxNodes:       100,
	}
}

// DefaultPredictive returns the look-ahead used by the simulator's
// "predictive" policy for a node start-up delay of startup.
func DefaultPredictive(startup time.Duration) *Predictive {
	return &Predictive{Horizon: startup, Window: 10 * time.Minute, Target: 0.75}
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (t Thresholds) validate(field string, percent bool) error {
	if t.Disabled {
		return nil
	}
	switch {
	case !finite(t.Up) || !finite(t.Down):
		return invalid(field, "thresholds must be finite numbers (up %v, down %v)", t.Up, t.Down)
	case t.Down < 0:
		return invalid(field+".down", "must not be negative, got %v", t.Down)
	case t.Up <= t.Down:
		return invalid(field, "up threshold %v must be above down threshold %v", t.Up, t.Down)
	case percent && t.Up > 100:
		return invalid(field+".up", "is a percentage and must be at most 100, got %v", t.Up)
	}
	return nil
}

// Validate reports the first invalid setting, naming the field.
func (c Config) Validate() error {
	if err := c.CPU.validate("cpu", true); err != nil {
		return err
	}
	if err := c.Memory.validate("memory", true); err != nil {
		return err
	}
	if err := c.QueueDepth.validate("queue_depth_per_node", false); err != nil {
		return err
	}
	seen := map[string]bool{MetricCPU: true, MetricMemory: true, MetricQueueDepth: true, MetricQueueDepthPerNode: true}
	for i, m := range c.Custom {
		field := fmt.Sprintf("custom[%d]", i)
		if m.Name == "" {
			return invalid(field+".name", "must not be empty")
		}
		if seen[m.Name] {
			return invalid(field+".name", "%q is already a metric", m.Name)
		}
		seen[m.Name] = true
		if err := m.validate(field, false); err != nil {
			return err
		}
	}
	switch {
	case c.Cooldown < 0:
		return invalid("cooldown", "must not be negative, got %v", c.Cooldown)
	case c.Interval <= 0:
		return invalid("interval", "must be positive, got %v", c.Interval)
	case !finite(c.ScaleUpPercent) || c.ScaleUpPercent < 0:
		return invalid("scale_up.percent", "must be a non-negative number, got %v", c.ScaleUpPercent)
	case c.ScaleUpMin < 1:
		return invalid("scale_up.min", "must be at least 1, got %d", c.ScaleUpMin)
	case c.ScaleDownStep < 1:
		return invalid("scale_down.step", "must be at least 1, got %d", c.ScaleDownStep)
	case c.MinNodes < 0:
		return invalid("nodes.min", "must not be negative, got %d", c.MinNodes)
	case c.MaxNodes < 1:
		return invalid("nodes.max", "must be at least 1, got %d", c.MaxNodes)
	case c.MaxNodes > math.MaxInt32:
		// A decision's node counts are int32 (its wire form): a larger
		// bound would wrap a clamped scale-up into a negative delta.
		return invalid("nodes.max", "must be at most %d, got %d", math.MaxInt32, c.MaxNodes)
	case c.MinNodes > c.MaxNodes:
		return invalid("nodes", "min %d is above max %d", c.MinNodes, c.MaxNodes)
	}
	for i, h := range c.HealthChecks {
		if h.Check == nil {
			return invalid(fmt.Sprintf("health_checks[%d]", i), "%q has no Check function", h.Name)
		}
	}
	if p := c.Predictive; p != nil {
		switch {
		case p.Horizon < 0:
			return invalid("predictive.horizon", "must not be negative, got %v", p.Horizon)
		case p.Window < c.Interval:
			return invalid("predictive.window", "must be at least the interval %v, got %v", c.Interval, p.Window)
		case !finite(p.Target) || p.Target <= 0 || p.Target > 1:
			return invalid("predictive.target", "must be in (0, 1], got %v", p.Target)
		}
	}
	return nil
}
