package sim

import (
	"fmt"
	"math"
	"time"
)

// HPA is Kubernetes' Horizontal Pod Autoscaler algorithm for one resource
// metric (CPU utilisation), as its documentation describes it
// (kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale):
//
//   - every sync period (15 s): ratio = utilisation / target over the ready
//     pods; within the tolerance (10 %) of 1 nothing changes; otherwise
//     desired = ceil(ready * ratio);
//   - pods not yet ready count as 0 % when scaling up: the ratio is
//     recomputed over all pods, and if it then falls within the tolerance
//     or reverses direction, nothing changes;
//   - stabilisation: the recommendation is the highest desired count of
//     the last 300 s when scaling down (0 s window when scaling up);
//   - the default scaling policies: up by at most max(100 %, 4 pods) per
//     15 s, down by at most 100 % per 15 s; then min/max replicas.
type HPA struct {
	// Target is the target CPU utilisation in percent.
	Target float64
	// Tolerance is the ratio band around 1 that changes nothing (0.1).
	Tolerance float64
	// SyncPeriod is the evaluation interval (15 s).
	SyncPeriod time.Duration
	// DownWindow is the scale-down stabilisation window (300 s).
	DownWindow time.Duration
	// UpPercent and UpPods are the scale-up policies per UpPeriod; the
	// larger wins (selectPolicy Max).
	UpPercent float64
	UpPods    int
	UpPeriod  time.Duration
	// DownPercent per DownPeriod limits scale-down.
	DownPercent float64
	DownPeriod  time.Duration
	Min, Max    int

	recs   []hpaRec
	events []hpaRec // scale events: at, replica change
}

type hpaRec struct {
	at int64
	n  int
}

// DefaultHPA is an HPA with Kubernetes' defaults and the given target.
func DefaultHPA(target float64) *HPA {
	return &HPA{Target: target, Tolerance: 0.1, SyncPeriod: 15 * time.Second, DownWindow: 300 * time.Second,
		UpPercent: 100, UpPods: 4, UpPeriod: 15 * time.Second, DownPercent: 100, DownPeriod: 15 * time.Second,
		Min: 1, Max: 100}
}

// Name implements Policy.
func (h *HPA) Name() string { return fmt.Sprintf("hpa (cpu target %g %%)", h.Target) }

// Interval implements Policy.
func (h *HPA) Interval() time.Duration { return h.SyncPeriod }

// Start implements Policy.
func (h *HPA) Start(*Cluster) error {
	h.recs, h.events = nil, nil
	return nil
}

// Control implements Policy.
func (h *HPA) Control(c *Cluster) error {
	o := c.Observe()
	now := c.Now()
	current := o.Nodes
	desired := h.desired(o)
	h.recs = append(h.recs, hpaRec{now, desired})
	rec := h.stabilise(now, current, desired)
	rec = h.limit(now, current, rec)
	keep := max(h.UpPeriod, h.DownPeriod)
	for len(h.events) > 0 && time.Duration(now-h.events[0].at)*time.Second >= keep {
		h.events = h.events[1:]
	}
	switch {
	case rec > current:
		c.Add(rec - current)
		h.events = append(h.events, hpaRec{now, rec - current})
	case rec < current:
		c.Remove(current - rec)
		h.events = append(h.events, hpaRec{now, rec - current})
	}
	return nil
}

// desired is the replica calculator for a utilisation metric.
func (h *HPA) desired(o Observation) int {
	if o.Ready == 0 {
		return o.Nodes // no metrics: the HPA does not act
	}
	ratio := o.CPU / h.Target
	if math.Abs(ratio-1) <= h.Tolerance {
		return o.Nodes
	}
	unready := o.Nodes - o.Ready
	if ratio > 1 && unready > 0 {
		// Unready pods count as 0 % when scaling up.
		ratio = o.CPU * float64(o.Ready) / (h.Target * float64(o.Nodes))
		if ratio <= 1 || math.Abs(ratio-1) <= h.Tolerance {
			return o.Nodes
		}
		return int(math.Ceil(ratio * float64(o.Nodes)))
	}
	return int(math.Ceil(ratio * float64(o.Ready)))
}

// stabilise applies the windows: up takes the lowest recommendation of the
// (zero-length) up window, down the highest of the down window.
func (h *HPA) stabilise(now int64, current, desired int) int {
	cut := 0
	// As Kubernetes (a recommendation counts while its time is after
	// now-window), one exactly a window old is out.
	for cut < len(h.recs) && time.Duration(now-h.recs[cut].at)*time.Second >= h.DownWindow {
		cut++
	}
	h.recs = h.recs[cut:]
	downRec := desired
	for _, r := range h.recs {
		downRec = max(downRec, r.n)
	}
	upRec := desired
	rec := current
	if rec < upRec {
		rec = upRec
	}
	if rec > downRec {
		rec = downRec
	}
	return rec
}

// limit applies the scaling policies and the replica bounds.
func (h *HPA) limit(now int64, current, rec int) int {
	if rec > current {
		start := current - h.changedSince(now, h.UpPeriod, +1)
		limit := max(int(math.Ceil(float64(start)*(1+h.UpPercent/100))), start+h.UpPods)
		rec = min(rec, limit)
	}
	if rec < current {
		start := current - h.changedSince(now, h.DownPeriod, -1)
		limit := int(math.Floor(float64(start) * (1 - h.DownPercent/100)))
		rec = max(rec, limit)
	}
	return min(max(rec, h.Min), h.Max)
}

// changedSince sums the replica changes of one sign within period.
func (h *HPA) changedSince(now int64, period time.Duration, sign int) int {
	sum := 0
	for _, e := range h.events {
		if time.Duration(now-e.at)*time.Second < period && e.n*sign > 0 {
			sum += e.n
		}
	}
	return sum
}
