package sim

import (
	"fmt"
	"strings"
	"time"
)

// Sample is the cluster at one moment of a replay, for plots.
type Sample struct {
	// Second is the simulated time.
	Second int64
	// Load is the offered load, Capacity the ready capacity, both in
	// requests per second.
	Load, Capacity float64
	Nodes          int
	// Backlog is the number of requests waiting.
	Backlog float64
}

// Result is one policy's replay.
type Result struct {
	Policy string
	// SLOMinutes counts minutes with at least one second over the SLO.
	SLOMinutes int
	// NodeHours is the node time paid for, starting nodes included.
	NodeHours float64
	// Actions counts scaling actions; Flaps counts actions opposite to the
	// previous one within Model.FlapWindow of it.
	Actions, Flaps int
	PeakNodes      int
	// Utilisation is served requests over the ready capacity paid for.
	Utilisation float64
	// Series holds one Sample per Options.SampleEvery (none if 0).
	Series []Sample
}

// Options tunes a replay.
type Options struct {
	// SampleEvery records a Sample every so many simulated seconds (0:
	// none).
	SampleEvery int64
}

// Replay runs one policy over load.
func Replay(load []float64, m Model, p Policy, opt Options) (Result, error) {
	if err := m.Validate(); err != nil {
		return Result{}, err
	}
	interval := int64(p.Interval() / time.Second)
	if interval < 1 {
		return Result{}, fmt.Errorf("sim: %s: interval %v is under a second", p.Name(), p.Interval())
	}
	c := newCluster(m)
	if err := p.Start(c); err != nil {
		return Result{}, err
	}
	r := Result{Policy: p.Name()}
	var nodeSeconds, served, paidCap float64
	minuteBad := false
	for t := range int64(len(load)) {
		c.now = t
		c.advance()
		if t > 0 && t%interval == 0 {
			if err := p.Control(c); err != nil {
				return Result{}, fmt.Errorf("sim: %s at second %d: %w", p.Name(), t, err)
			}
			c.advance()
		}
		before := c.backlog + load[t]
		if c.step(load[t]) {
			minuteBad = true
		}
		served += before - c.backlog
		paidCap += float64(c.ready) * m.Capacity
		nodeSeconds += float64(c.Nodes())
		r.PeakNodes = max(r.PeakNodes, c.Nodes())
		if t%60 == 59 || t == int64(len(load))-1 {
			if minuteBad {
				r.SLOMinutes++
			}
			minuteBad = false
		}
		if opt.SampleEvery > 0 && t%opt.SampleEvery == 0 {
			r.Series = append(r.Series, Sample{Second: t, Load: load[t], Capacity: float64(c.ready) * m.Capacity, Nodes: c.Nodes(), Backlog: c.backlog})
		}
	}
	r.NodeHours = nodeSeconds / 3600
	r.Actions, r.Flaps = c.actions, c.flaps
	if paidCap > 0 {
		r.Utilisation = served / paidCap
	}
	return r, nil
}

// Compare replays every policy over the same load.
func Compare(load []float64, m Model, policies []Policy, opt Options) ([]Result, error) {
	out := make([]Result, 0, len(policies))
	for _, p := range policies {
		r, err := Replay(load, m, p, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Table formats results as a Markdown table.
func Table(results []Result) string {
	var b strings.Builder
	b.WriteString("| policy | SLO-violation minutes | node-hours | scaling actions | flaps | peak nodes | utilisation |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %.0f | %d | %d | %d | %.0f %% |\n",
			r.Policy, r.SLOMinutes, r.NodeHours, r.Actions, r.Flaps, r.PeakNodes, 100*r.Utilisation)
	}
	return b.String()
}
