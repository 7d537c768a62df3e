package autoscale

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/dwsdk/distributed/gen/autoscalewire"
	"github.com/stretchr/testify/require"
)

// TestPeerBugs replays bugs filed against Kubernetes' HorizontalPodAutoscaler
// and cluster-autoscaler on this scaler's rules; each case names the
// upstream report it checks.
func TestPeerBugs(t *testing.T) {
	onlyCPUAndCustom := func(c *Config) {
		c.Memory.Disabled, c.QueueDepth.Disabled = true, true
		c.Custom = []CustomMetric{{Name: "external_backlog", Thresholds: Thresholds{Up: 10, Down: 2}}}
	}
	tests := []ruleCase{
		// kubernetes/kubernetes#99394, #105187: with one metric unavailable
		// and the others asking for fewer pods, the HPA scaled down.
		{name: "k8s#99394 one metric unavailable, the other low: no scale-down", nodes: 3,
			cfg: onlyCPUAndCustom, metrics: map[string]float64{MetricCPU: 5}, fail: []string{"external_backlog"},
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockUnreadable},
			votes: map[string]autoscalewire.Vote{MetricCPU: VoteDown, "external_backlog": VoteUnreadable}},
		// kubernetes/kubernetes#61007: one metric missing stopped every
		// scale-up.
		{name: "k8s#61007 one metric unavailable, the other high: scale-up", nodes: 3,
			cfg: onlyCPUAndCustom, metrics: map[string]float64{MetricCPU: 95}, fail: []string{"external_backlog"},
			action: ActionScaleUp, delta: 2},
		// kubernetes/kubernetes#110278: a workload at 0 replicas was left
		// there after minReplicas was raised to 1.
		{name: "k8s#110278 zero nodes below the minimum come back to it", nodes: 0, metrics: quiet,
			action: ActionScaleUp, delta: 1},
		// kubernetes/kubernetes#98174: a scale-down decision turned into a
		// scale-up.
		{name: "k8s#98174 every metric low never adds nodes", nodes: 4, metrics: low,
			cfg: func(c *Config) { c.ScaleDownStep = 10 }, action: ActionScaleDown, delta: -3,
			blocked: []autoscalewire.BlockKind{BlockBounds}},
		// Flapping, the reason for the HPA's scale-down stabilisation
		// (kubernetes/kubernetes#68122; "flapping" in its documentation):
		// a threshold scaler that removes a node whose load then pushes
		// the rest above the up threshold adds it back at the next
		// evaluation. The HPA sizes a scale-down so the metric stays at
		// its target.
		{name: "flapping: 2 nodes at 45 % cpu (down 50, up 80) keep both", nodes: 2,
			cfg:     func(c *Config) { c.CPU = Thresholds{Up: 80, Down: 50} },
			metrics: map[string]float64{MetricCPU: 45, MetricMemory: 20, MetricQueueDepth: 0},
			action:  ActionNone, reason: "cpu would read 90 on 1 node(s)"},
		{name: "flapping: 4 nodes at 45 % cpu (down 50, up 80) lose one", nodes: 4,
			cfg:     func(c *Config) { c.CPU = Thresholds{Up: 80, Down: 50} },
			metrics: map[string]float64{MetricCPU: 45, MetricMemory: 20, MetricQueueDepth: 0},
			action:  ActionScaleDown, delta: -1},
		{name: "flapping: a large step is cut to what keeps cpu under its up threshold", nodes: 10,
			cfg:     func(c *Config) { c.ScaleDownStep = 8 },
			metrics: map[string]float64{MetricCPU: 25, MetricMemory: 20, MetricQueueDepth: 0},
			action:  ActionScaleDown, delta: -6, reason: "cpu would read 83.33 on 3 node(s)"},
		{name: "flapping: the queue per node counts too", nodes: 2,
			cfg:     func(c *Config) { c.QueueDepth = Thresholds{Up: 100, Down: 60} },
			metrics: map[string]float64{MetricCPU: 10, MetricMemory: 20, MetricQueueDepth: 110},
			action:  ActionNone, reason: "queue_depth_per_node would read 110 on 1 node(s)"},
		{name: "flapping: a custom metric does not spread over the nodes", nodes: 2,
			cfg: func(c *Config) {
				c.Custom = []CustomMetric{{Name: "p99_ms", Thresholds: Thresholds{Up: 250, Down: 200}}}
			},
			metrics: map[string]float64{MetricCPU: 10, MetricMemory: 20, MetricQueueDepth: 0, "p99_ms": 190},
			action:  ActionScaleDown, delta: -1},

		// Scale from zero (KEP-2021; the HPA's replica calculator asks
		// ceil(usage/target) replicas when there are none, so any work
		// brings one back): with no node, queued items wait for ever if
		// they must first exceed the per-node up threshold.
		{name: "scale from zero: queued work and no node adds one", nodes: 0,
			cfg:     func(c *Config) { c.MinNodes = 0 },
			metrics: map[string]float64{MetricCPU: 0, MetricMemory: 0, MetricQueueDepth: 50},
			action:  ActionScaleUp, delta: 1, votes: map[string]autoscalewire.Vote{MetricQueueDepthPerNode: VoteUp}},
		{name: "scale from zero: no work and no node stays at zero", nodes: 0,
			cfg:     func(c *Config) { c.MinNodes = 0 },
			metrics: map[string]float64{MetricCPU: 0, MetricMemory: 0, MetricQueueDepth: 0},
			action:  ActionNone, blocked: []autoscalewire.BlockKind{BlockBounds}},
		{name: "scale to zero: the last node stays while work is queued", nodes: 1,
			cfg:     func(c *Config) { c.MinNodes = 0 },
			metrics: map[string]float64{MetricCPU: 1, MetricMemory: 1, MetricQueueDepth: 5},
			action:  ActionNone, reason: "queue_depth_per_node would read +Inf on 0 node(s)"},
		{name: "scale to zero: an idle last node goes", nodes: 1,
			cfg:     func(c *Config) { c.MinNodes = 0 },
			metrics: map[string]float64{MetricCPU: 0, MetricMemory: 1, MetricQueueDepth: 0},
			action:  ActionScaleDown, delta: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runRule(t, tc) })
	}
}

// TestPeerBugHugeMaxNodesIsRejected: kubernetes/kubernetes#126892 (fixed by
// #127050 and #141397), a replica count computed beyond int32 wrapped and
// the HPA scaled a saturated workload down to its minimum. A decision's node
// counts are int32 (the wire form); a maximum beyond that made the clamped
// scale-up delta wrap negative and scale the cluster down under load.
func TestPeerBugHugeMaxNodesIsRejected(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Logger = quietLogger()
	cfg.MaxNodes = math.MaxInt32 + 10
	cfg.ScaleUpPercent = 1e30
	s, err := NewInMemory(cfg, 4)
	if err == nil {
		s.Metrics.Set(MetricCPU, 95)
		d, _ := s.Evaluate(context.Background())
		n, _ := s.Recorder.Nodes(context.Background())
		require.GreaterOrEqualf(t, n, 4, "overloaded, it decided %s by %+d and went from 4 to %d nodes",
			ActionString(d.Action), d.Delta, n)
	}
	require.ErrorIs(t, err, ErrInvalidConfig)
	require.ErrorContains(t, err, "nodes.max")

	// A step beyond int32 saturates in the decision instead of wrapping
	// (4 + 2^40 wrapped to 4, a scale-up that "wanted" no change).
	cfg = DefaultConfig()
	cfg.Logger = quietLogger()
	cfg.ScaleUpMin = 1 << 40
	s, err = NewInMemory(cfg, 4)
	require.NoError(t, err)
	s.Metrics.Set(MetricCPU, 95)
	d, err := s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, int32(math.MaxInt32), d.Wanted)
	require.Equal(t, int32(96), d.Delta)
}

// TestPeerBugPredictiveOverflowStillScalesUp: the overflow family of
// kubernetes/kubernetes#126892 on the look-ahead: readings near the top of
// float64 made the trend's sums overflow to NaN, and a NaN projection
// compared false with every threshold, so the scaler held with a metric far
// above its up threshold.
func TestPeerBugPredictiveOverflowStillScalesUp(t *testing.T) {
	s, clock := newTestScaler(t, 4, func(c *Config) {
		c.Cooldown = 0
		c.Predictive = DefaultPredictive(time.Minute)
		c.Custom = []CustomMetric{{Name: "backlog", Thresholds: Thresholds{Up: 100, Down: 10}}}
	})
	s.Metrics.Set("backlog", math.MaxFloat64/2)
	for i := range 4 {
		d, err := s.Evaluate(context.Background())
		require.NoError(t, err)
		backlog := d.Readings[3]
		require.Equal(t, "backlog", backlog.Name)
		require.Equalf(t, VoteUp, backlog.Vote, "evaluation %d: %s", i, backlog.Reason)
		clock.Advance(15 * time.Second)
	}
}

// noopExecutor is a Recorder whose scale-ups change nothing, as a workload
// whose replica count an admission policy pins does.
type noopExecutor struct{ *Recorder }

func (e noopExecutor) ScaleUp(ctx context.Context, n int) (Result, error) {
	c, _ := e.Nodes(ctx)
	return Result{Before: c, After: c}, nil
}

// TestPeerBugNoChangeStartsNoCooldown: kubernetes/kubernetes#16275, the HPA
// reset its last scale time on an update that scaled nothing, so the
// stabilisation it meant to enforce ran from the wrong moment. A scale
// request that changed nothing must not start the cooldown.
func TestPeerBugNoChangeStartsNoCooldown(t *testing.T) {
	clock := NewManualClock(t0)
	cfg := DefaultConfig()
	cfg.Clock, cfg.Logger = clock, quietLogger()
	exec := noopExecutor{NewRecorder(4)}
	metrics := NewStaticMetrics(with(quiet, MetricCPU, 95.0))
	a, err := New(cfg, metrics, exec)
	require.NoError(t, err)
	d, err := a.Evaluate(context.Background())
	require.NoError(t, err)
	require.True(t, Blocked(d, BlockExecutor), "the shortfall is reported")

	clock.Advance(15 * time.Second)
	metrics.Set(MetricCPU, 10)
	metrics.Set(MetricMemory, 10)
	d, err = a.Evaluate(context.Background())
	require.NoError(t, err)
	require.False(t, Blocked(d, BlockCooldown), "%+v", d.Blocked)
	require.Equal(t, ActionScaleDown, d.Action)
}

// TestPeerBugCPUCounterGoingBackwards: kubernetes/kubernetes#30939, a
// cumulative CPU counter that went backwards (a restarted cgroup) made
// heapster report a usage rate near 2^64 and the HPA scale on it. Read from
// a cgroup v2 tree (2 CPUs), a backwards counter is an unreadable CPU for
// one reading, and the next interval is measured from the new counter.
func TestPeerBugCPUCounterGoingBackwards(t *testing.T) {
	root := copyTree(t, filepath.Join("testdata", "cgroup", "v2"))
	clock := NewManualClock(t0)
	m, err := NewContainerMetrics(ContainerConfig{CgroupRoot: root, SelfCgroup: filepath.Join("testdata", "self-cgroup-root"), Clock: clock})
	require.NoError(t, err)

	writeFile(t, filepath.Join(root, "cpu.stat"), "usage_usec 10\n") // the counter restarted
	clock.Advance(10 * time.Second)
	_, err = m.Metric(context.Background(), MetricCPU)
	require.ErrorContains(t, err, "went backwards")

	writeFile(t, filepath.Join(root, "cpu.stat"), "usage_usec 5000010\n")
	clock.Advance(10 * time.Second)
	v, err := m.Metric(context.Background(), MetricCPU)
	require.NoError(t, err)
	require.InDelta(t, 25, v, 1e-9, "5 s of CPU over 10 s on 2 CPUs")
}

// TestPeerBugCooldownSurvivesARestart: the HPA keeps its last scale time in
// the object's status, so a restarted controller does not scale again at
// once (kubernetes/kubernetes#16275 was that time being reset). A new
// scaler (a new leader's) told of the previous one's event keeps its
// cooldown; a later event told of moves it, an earlier one or one in the
// future (a skewed clock) does not extend it.
func TestPeerBugCooldownSurvivesARestart(t *testing.T) {
	s, clock := newTestScaler(t, 4, nil)
	s.Metrics.Set(MetricCPU, 95)
	s.NoteEvent(t0.Add(-50 * time.Second))
	s.NoteEvent(t0.Add(-2 * time.Minute)) // older: ignored
	d, err := s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, ActionNone, d.Action)
	require.True(t, Blocked(d, BlockCooldown), "%+v", d.Blocked)

	clock.Advance(10 * time.Second)
	d, err = s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, int32(2), d.Delta, "60 s after the noted event")

	clock.Advance(time.Minute)
	s.NoteEvent(clock.Now().Add(time.Hour)) // a skewed clock: counts as now
	clock.Advance(time.Minute)
	d, err = s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, ActionScaleUp, d.Action, "%+v", d.Blocked)
}

// TestPeerBugPartialMetricStillScalesUp: kubernetes/kubernetes#130130 (and
// #51650), pods that stopped answering at peak traffic kept the HPA from
// scaling out; the HPA counts pods without metrics at 0 % for a scale-up
// and at 100 % of target for a scale-down, so missing pods damp a change
// but never reverse it. A provider that could read only part of a metric
// (a sum over nodes, some of which did not answer) returns the part with an
// error wrapping ErrPartial: a lower bound, which scales up when even it is
// above the up threshold, and never scales down.
func TestPeerBugPartialMetricStillScalesUp(t *testing.T) {
	errGone := errors.New("node-3: context deadline exceeded")
	for _, tc := range []struct {
		name   string
		queue  float64 // the part read, over 4 nodes
		action autoscalewire.Action
		vote   autoscalewire.Vote
	}{
		{"the part read is already above the up threshold", 404, ActionScaleUp, VoteUp},
		{"the part read is within the thresholds", 200, ActionNone, VoteUnreadable},
		{"the part read is below the down threshold", 20, ActionNone, VoteUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Logger = quietLogger()
			static := NewStaticMetrics(map[string]float64{MetricCPU: 10, MetricMemory: 20})
			metrics := MetricFunc(func(ctx context.Context, name string) (float64, error) {
				if name == MetricQueueDepth {
					return tc.queue, fmt.Errorf("%w: %w", ErrPartial, errGone)
				}
				return static.Metric(ctx, name)
			})
			a, err := New(cfg, metrics, NewRecorder(4))
			require.NoError(t, err)
			d, err := a.Evaluate(context.Background())
			require.NoError(t, err)
			require.Equal(t, tc.action, d.Action, d.Reason)
			q := d.Readings[2]
			require.Equal(t, MetricQueueDepthPerNode, q.Name)
			require.Equal(t, tc.vote, q.Vote, q.Reason)
			require.Contains(t, q.Reason, "deadline exceeded")
			if tc.vote == VoteUp {
				require.InDelta(t, 101, q.Value, 1e-9)
				require.Contains(t, q.Reason, "at least")
			}
		})
	}
}

// TestPeerBugTrendHistoryStaysBounded: kubernetes/kubernetes#139031, the
// HPA replaced at most one expired recommendation per sync, so after a
// pause (a leader election, a slow API server) its slices kept growing. The
// trend history drops every reading older than the window at each add.
func TestPeerBugTrendHistoryStaysBounded(t *testing.T) {
	var s series
	at := t0
	for range 100 {
		s.add(at, 1, 10*time.Minute)
		at = at.Add(15 * time.Second)
	}
	require.Len(t, s.v, 41, "10 minutes of 15 s readings, both ends included")
	at = at.Add(time.Hour) // a pause
	s.add(at, 2, 10*time.Minute)
	require.Len(t, s.v, 1)
	require.Len(t, s.at, 1)
}

// TestNotedEventKeepsTheMonotonicClock: an event time from elsewhere (a
// member's start, in wall-clock nanoseconds) has no monotonic reading; kept
// as it is, a later step back of the wall clock would stretch the cooldown
// by the step. Noted, it is re-expressed on the scaler's clock.
func TestNotedEventKeepsTheMonotonicClock(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Logger = quietLogger()
	a, err := New(cfg, NewStaticMetrics(nil), NewRecorder(1))
	require.NoError(t, err)
	wall := time.Now().Add(-30 * time.Second).Round(0) // Round(0) strips the monotonic reading
	a.NoteEvent(wall)
	require.Contains(t, a.lastEvent.String(), "m=", "the noted time has a monotonic reading")
	require.WithinDuration(t, wall, a.lastEvent, time.Second)
}
