package sim

import (
	"fmt"
	"math"
	"time"
)

// Model is the cluster a trace is replayed through.
type Model struct {
	// Capacity is what one ready node serves, in requests per second.
	Capacity float64
	// Startup is how long an added node takes to become ready.
	Startup time.Duration
	// SLO is the longest acceptable queueing delay: a second whose backlog
	// takes longer to drain at the ready capacity violates it.
	SLO time.Duration
	// InitialNodes are ready when the replay starts.
	InitialNodes int
	// FlapWindow is how close two opposite scaling actions must be to count
	// as a flap (the seed's cooldown, 60 s).
	FlapWindow time.Duration
}

// DefaultModel is the model of the README's results: 100 requests per
// second per node, 60 s start-up, 1 s queueing-delay SLO, one initial node.
func DefaultModel() Model {
	return Model{Capacity: 100, Startup: 60 * time.Second, SLO: time.Second, InitialNodes: 1, FlapWindow: 60 * time.Second}
}

// Validate reports an unusable model.
func (m Model) Validate() error {
	switch {
	case !(m.Capacity > 0) || math.IsInf(m.Capacity, 0):
		return fmt.Errorf("sim: model capacity must be a positive number, got %v", m.Capacity)
	case m.Startup < 0:
		return fmt.Errorf("sim: model startup must not be negative, got %v", m.Startup)
	case m.SLO <= 0:
		return fmt.Errorf("sim: model SLO must be positive, got %v", m.SLO)
	case m.InitialNodes < 0:
		return fmt.Errorf("sim: model initial nodes must not be negative, got %d", m.InitialNodes)
	}
	return nil
}

// Cluster is the simulated cluster a Policy observes and changes. Time is in
// whole simulated seconds. Not safe for concurrent use: a replay is one
// goroutine.
type Cluster struct {
	model Model
	now   int64
	// readyAt holds each node's ready time in the order nodes were added;
	// since start-up is constant, the ready nodes are a prefix.
	readyAt []int64
	ready   int
	backlog float64

	// window accumulates since the last Observe.
	winServed, winCap, winLoad float64

	actions, flaps int
	lastDir        int
	lastAt         int64
}

func newCluster(m Model) *Cluster {
	c := &Cluster{model: m}
	for range m.InitialNodes {
		c.readyAt = append(c.readyAt, 0)
	}
	c.ready = m.InitialNodes
	return c
}

// Now is the simulated time in seconds since the start of the replay.
func (c *Cluster) Now() int64 { return c.now }

// Model returns the cluster's model.
func (c *Cluster) Model() Model { return c.model }

// Nodes is every node, ready or starting.
func (c *Cluster) Nodes() int { return len(c.readyAt) }

// Ready is the number of nodes serving requests.
func (c *Cluster) Ready() int { return c.ready }

// Backlog is the number of requests waiting.
func (c *Cluster) Backlog() float64 { return c.backlog }

// Observation is what a policy measures over the interval since its
// previous observation.
type Observation struct {
	// CPU is the mean utilisation of the ready nodes, in percent: served
	// over ready capacity (100 with load and no ready node).
	CPU float64
	// Memory follows CPU: 30 % at idle plus 0.3 per CPU percent.
	Memory float64
	// Queue is the backlog now, in requests.
	Queue float64
	// Nodes and Ready are the node counts now.
	Nodes, Ready int
}

// Observe returns the measurements since the previous Observe and starts a
// new window.
func (c *Cluster) Observe() Observation {
	o := Observation{Queue: c.backlog, Nodes: len(c.readyAt), Ready: c.ready}
	switch {
	case c.winCap > 0:
		o.CPU = 100 * c.winServed / c.winCap
	case c.winLoad > 0:
		o.CPU = 100
	}
	o.Memory = 30 + 0.3*o.CPU
	c.winServed, c.winCap, c.winLoad = 0, 0, 0
	return o
}

// Add starts n nodes, ready Model.Startup from now. It counts as one
// scaling action.
func (c *Cluster) Add(n int) int {
	if n <= 0 {
		return 0
	}
	at := c.now + int64(c.model.Startup/time.Second)
	for range n {
		c.readyAt = append(c.readyAt, at)
	}
	c.advance()
	c.action(+1)
	return n
}

// Remove stops up to n nodes, starting ones first, then the newest ready
// ones, and returns how many it stopped. It counts as one scaling action.
func (c *Cluster) Remove(n int) int {
	n = min(n, len(c.readyAt))
	if n <= 0 {
		return 0
	}
	c.readyAt = c.readyAt[:len(c.readyAt)-n]
	c.ready = min(c.ready, len(c.readyAt))
	c.action(-1)
	return n
}

func (c *Cluster) action(dir int) {
	c.actions++
	if c.lastDir != 0 && dir != c.lastDir && time.Duration(c.now-c.lastAt)*time.Second < c.model.FlapWindow {
		c.flaps++
	}
	c.lastDir, c.lastAt = dir, c.now
}

// advance marks nodes whose start-up is over as ready.
func (c *Cluster) advance() {
	for c.ready < len(c.readyAt) && c.readyAt[c.ready] <= c.now {
		c.ready++
	}
}

// step serves one second of load and reports whether it violated the SLO.
func (c *Cluster) step(load float64) bool {
	capacity := float64(c.ready) * c.model.Capacity
	total := c.backlog + load
	served := min(total, capacity)
	c.backlog = total - served
	if c.backlog < 1e-9 {
		c.backlog = 0
	}
	c.winServed += served
	c.winCap += capacity
	c.winLoad += load
	if c.backlog == 0 {
		return false
	}
	return capacity == 0 || c.backlog/capacity > c.model.SLO.Seconds()
}
