package autoscale

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// metricSpec is one metric a scaler reads each evaluation.
type metricSpec struct {
	name    string // the name in readings
	source  string // the name asked of the MetricProvider
	perNode bool   // divide by the node count
	// nonNegative is a quantity that cannot be below 0 (a utilisation, a
	// queue length): a negative reading is a broken one, not a low one.
	nonNegative bool
	// utilisation is a share of the nodes' capacity (CPU, memory): it
	// spreads inversely with the node count.
	utilisation bool
	t           Thresholds
}

// specs lists the enabled metrics in a fixed order: cpu, memory, queue depth
// per node, then the custom metrics as configured.
func (c *Config) specs() []metricSpec {
	var out []metricSpec
	if !c.CPU.Disabled {
		out = append(out, metricSpec{name: MetricCPU, source: MetricCPU, nonNegative: true, utilisation: true, t: c.CPU})
	}
	if !c.Memory.Disabled {
		out = append(out, metricSpec{name: MetricMemory, source: MetricMemory, nonNegative: true, utilisation: true, t: c.Memory})
	}
	if !c.QueueDepth.Disabled {
		out = append(out, metricSpec{name: MetricQueueDepthPerNode, source: MetricQueueDepth, perNode: true, nonNegative: true, t: c.QueueDepth})
	}
	for _, m := range c.Custom {
		if !m.Disabled {
			out = append(out, metricSpec{name: m.Name, source: m.Name, t: m.Thresholds})
		}
	}
	return out
}

// sample is one metric as read, with its projection when predictive.
type sample struct {
	spec      metricSpec
	value     float64
	err       error
	projected float64 // the linear trend at the horizon
	peak      float64 // highest reading of the window
	hasProj   bool
	// adjusted is the number of starting nodes a utilisation was spread
	// over (Predictive only).
	adjusted int
	// young is a reading of a predictive scaler without enough history
	// for a trend yet: it may scale up but not down.
	young   bool
	horizon time.Duration
	// unserved is a per-node metric with work (a queue) and no node at
	// all to do it: it asks for a node whatever its up threshold.
	unserved bool
	// lowerBound is a partial reading (err wraps ErrPartial): value is
	// the part read, which can only scale up.
	lowerBound bool
}

// upValue is the value compared with the up threshold: the larger of the
// reading and its projection, so a rising trend scales up early.
func (s sample) upValue() float64 {
	if s.hasProj {
		return max(s.value, s.projected)
	}
	return s.value
}

// downValue is the value compared with the down threshold: with a
// projection, also the highest reading of the window, so neither a falling
// trend nor a short dip scales down early.
func (s sample) downValue() float64 {
	if s.hasProj {
		return max(s.value, s.projected, s.peak)
	}
	return s.value
}

// judge turns a sample into a reading with its vote.
func judge(s sample) MetricReading {
	r := MetricReading{Name: s.spec.name, Value: s.value, Up: s.spec.t.Up, Down: s.spec.t.Down}
	if s.err == nil && !finite(s.value) {
		s.err = fmt.Errorf("read %v, not a finite number", s.value)
	}
	if s.err != nil && s.lowerBound && finite(s.value) && s.value > s.spec.t.Up {
		// As the HPA counts pods without metrics at 0 % for a scale-up:
		// what was read already asks for more nodes.
		r.Vote, r.Reason = VoteUp, fmt.Sprintf("at least %.4g, above up threshold %.4g (partial: %v)", s.value, s.spec.t.Up, s.err)
		return r
	}
	if s.err != nil {
		r.Value, r.Vote, r.Reason = 0, VoteUnreadable, "unreadable: "+s.err.Error()
		return r
	}
	what := fmt.Sprintf("%.4g", s.value)
	if s.adjusted > 0 {
		what += fmt.Sprintf(" (counting %d starting nodes)", s.adjusted)
	}
	if s.hasProj {
		what += fmt.Sprintf(" (projected %.4g in %v, window peak %.4g)", s.projected, s.horizon, s.peak)
	}
	switch {
	case s.unserved:
		// As the HPA asks ceil(usage/target) replicas of a workload at
		// zero, any work brings a node back.
		r.Vote, r.Reason = VoteUp, what+" with no node to serve it"
	case s.upValue() > s.spec.t.Up:
		r.Vote, r.Reason = VoteUp, what+fmt.Sprintf(" above up threshold %.4g", s.spec.t.Up)
	case s.downValue() < s.spec.t.Down && s.young:
		r.Vote, r.Reason = VoteHold, what+fmt.Sprintf(" below down threshold %.4g, but too little history for a trend", s.spec.t.Down)
	case s.downValue() < s.spec.t.Down:
		r.Vote, r.Reason = VoteDown, what+fmt.Sprintf(" below down threshold %.4g", s.spec.t.Down)
	default:
		r.Vote, r.Reason = VoteHold, what+fmt.Sprintf(" within [%.4g, %.4g]", s.spec.t.Down, s.spec.t.Up)
	}
	return r
}

// plan applies the rules to the samples of one evaluation: the metric vote,
// the step sizes, the node bounds and the cooldown. Health checks and the
// executor come after it. lastEvent is zero when there was no scale event.
func (c *Config) plan(now time.Time, current int, samples []sample, lastEvent time.Time) Decision {
	d := Decision{AtUnixMilli: now.UnixMilli(), Current: int32(current)}
	var up, down, unreadable []string
	var upSamples []sample
	for _, s := range samples {
		r := judge(s)
		d.Readings = append(d.Readings, r)
		switch r.Vote {
		case VoteUp:
			up = append(up, r.Name)
			upSamples = append(upSamples, s)
		case VoteDown:
			down = append(down, r.Name)
		case VoteUnreadable:
			unreadable = append(unreadable, r.Name)
		}
	}

	wanted := current
	switch {
	case len(up) > 0:
		step := c.scaleUpStep(current, upSamples)
		wanted = current + step
		d.Reason = fmt.Sprintf("scale up by %d: %s above up threshold", step, strings.Join(up, ", "))
	case len(samples) > 0 && len(down) == len(samples):
		step, limit := c.scaleDownStep(current, samples), ""
		if room := current - c.MinNodes; room > 0 {
			// Within the bounds only; the bounds report a larger step.
			fit, why := fitScaleDown(current, min(step, room), samples)
			if why != "" {
				step, limit = fit, why
			}
		}
		wanted = current - step
		switch {
		case step == 0:
			d.Reason = "hold: every metric below its down threshold, but " + limit
		case limit != "":
			d.Reason = fmt.Sprintf("scale down by %d: every metric below its down threshold (no further: %s)", step, limit)
		default:
			d.Reason = fmt.Sprintf("scale down by %d: every metric below its down threshold", step)
		}
	case len(down) > 0 && len(down)+len(unreadable) == len(samples):
		d.Blocked = append(d.Blocked, Block{Kind: BlockUnreadable,
			Detail: "scale-down refused: cannot read " + strings.Join(unreadable, ", ")})
		d.Reason = "hold: unreadable metrics never allow a scale-down"
	case len(unreadable) > 0:
		d.Reason = "hold: no metric above its up threshold (unreadable: " + strings.Join(unreadable, ", ") + ")"
	default:
		d.Reason = "hold: no metric above its up threshold and not every metric below its down threshold"
	}
	d.Wanted = int32(min(max(wanted, math.MinInt32), math.MaxInt32)) // a huge step saturates

	// Bounds. A cluster outside them is brought back regardless of the
	// metrics and of the cooldown.
	target, forced := wanted, false
	switch {
	case current < c.MinNodes && target < c.MinNodes:
		target, forced = c.MinNodes, true
		d.Reason = fmt.Sprintf("scale up to the minimum of %d nodes", c.MinNodes)
		d.Wanted = int32(target)
	case current > c.MaxNodes && target > c.MaxNodes:
		target, forced = c.MaxNodes, true
		d.Reason = fmt.Sprintf("scale down to the maximum of %d nodes", c.MaxNodes)
		d.Wanted = int32(target)
	case target > c.MaxNodes:
		d.Blocked = append(d.Blocked, Block{Kind: BlockBounds,
			Detail: fmt.Sprintf("wanted %d nodes, max is %d", target, c.MaxNodes)})
		target = max(c.MaxNodes, current)
	case target < c.MinNodes:
		d.Blocked = append(d.Blocked, Block{Kind: BlockBounds,
			Detail: fmt.Sprintf("wanted %d nodes, min is %d", target, c.MinNodes)})
		target = min(c.MinNodes, current)
	}

	if target != current && !forced && !lastEvent.IsZero() {
		// Inside the cooldown only the return within the bounds goes
		// ahead: a cluster below its minimum under load (or above its
		// maximum when idle) must not wait for the metrics' change.
		bounded := min(max(current, c.MinNodes), c.MaxNodes)
		if since := now.Sub(lastEvent); since < c.Cooldown && target != bounded {
			detail := fmt.Sprintf("last scale event %v ago, cooldown %v", since, c.Cooldown)
			if bounded != current {
				detail += fmt.Sprintf("; only back within [%d, %d] nodes", c.MinNodes, c.MaxNodes)
			}
			d.Blocked = append(d.Blocked, Block{Kind: BlockCooldown, Detail: detail})
			target = bounded
		}
	}
	setDelta(&d, target-current)
	return d
}

// fitScaleDown cuts a scale-down step until no metric that spreads over
// the nodes (a utilisation, a queue per node) would rise above its up
// threshold on the nodes left: such a scale-down would be undone by the
// next evaluation (flapping). It returns the step, possibly 0, and when it
// cut it, why the next larger step was refused.
func fitScaleDown(current, step int, samples []sample) (int, string) {
	why := ""
	for ; step > 0; step-- {
		over := ""
		left := current - step
		for _, s := range samples {
			if !s.spec.utilisation && !s.spec.perNode {
				continue // a latency or a custom rate need not follow the node count
			}
			v := s.downValue()
			if v <= 0 || (left == 0 && s.spec.utilisation) {
				// Nothing to spread; with no node left, a node's CPU
				// or memory goes with it (queued work does not).
				continue
			}
			after := math.Inf(1)
			if left > 0 {
				after = v * float64(current) / float64(left)
			}
			if after > s.spec.t.Up {
				over = fmt.Sprintf("%s would read %.4g on %d node(s), above its up threshold %.4g", s.spec.name, after, left, s.spec.t.Up)
				break
			}
		}
		if over == "" {
			return step, why
		}
		why = over
	}
	return 0, why
}

// setDelta records a decided change and its action.
func setDelta(d *Decision, delta int) {
	d.Delta = int32(delta)
	switch {
	case delta > 0:
		d.Action = ActionScaleUp
	case delta < 0:
		d.Action = ActionScaleDown
	default:
		d.Action = ActionNone
	}
}

// scaleUpStep is max(ceil(current*ScaleUpPercent/100), ScaleUpMin), or with
// Predictive what brings every rising metric to Target of its up threshold
// if that is more.
func (c *Config) scaleUpStep(current int, up []sample) int {
	percentStep := c.ceilNodes(float64(current) * c.ScaleUpPercent / 100)
	step := max(percentStep, c.ScaleUpMin)
	if c.Predictive == nil {
		return step
	}
	for _, s := range up {
		if !s.spec.utilisation {
			continue // only utilisations scale inversely with the node count
		}
		// A utilisation spreads over the nodes: current*v/goal nodes bring
		// v down to goal.
		goal := c.Predictive.Target * s.spec.t.Up
		n := c.ceilNodes(float64(max(current, 1)) * s.upValue() / goal)
		step = max(step, n-current)
	}
	// A projection from a saturated or restarting metric can ask for any
	// number; like the HPA's default policy, at most double per event.
	return min(step, max(current, c.ScaleUpMin, percentStep))
}

// ceilNodes rounds a node count up, saturating at MaxNodes (the bounds
// clamp it there anyway) instead of overflowing int for a huge
// ScaleUpPercent or projection.
func (c *Config) ceilNodes(x float64) int {
	if !(x < float64(c.MaxNodes)) {
		return c.MaxNodes
	}
	return int(math.Ceil(x))
}

// scaleDownStep is ScaleDownStep, or with Predictive what still keeps every
// utilisation's window peak at or below Target of its up threshold if that
// is more.
func (c *Config) scaleDownStep(current int, samples []sample) int {
	if c.Predictive == nil {
		return c.ScaleDownStep
	}
	keep := 0
	for _, s := range samples {
		if !s.spec.utilisation {
			continue
		}
		goal := c.Predictive.Target * s.spec.t.Up
		keep = max(keep, int(math.Ceil(float64(current)*s.downValue()/goal)))
	}
	return max(c.ScaleDownStep, current-max(keep, 1))
}
