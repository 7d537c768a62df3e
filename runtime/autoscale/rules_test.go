package autoscale

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/dwsdk/distributed/gen/autoscalewire"
	"github.com/stretchr/testify/require"
)

// quiet is a reading where every built-in metric sits between thresholds.
var quiet = map[string]float64{MetricCPU: 50, MetricMemory: 60, MetricQueueDepth: 0}

// low is a reading where every built-in metric is below its down threshold
// (queue depth per node 5 on 4 nodes).
var low = map[string]float64{MetricCPU: 10, MetricMemory: 20, MetricQueueDepth: 20}

func with(base map[string]float64, kv ...any) map[string]float64 {
	out := map[string]float64{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1].(float64)
	}
	return out
}

// ruleCase is one evaluation of an in-memory scaler and what it must
// decide.
type ruleCase struct {
	name      string
	cfg       func(*Config)
	nodes     int
	metrics   map[string]float64
	fail      []string      // metrics that cannot be read
	sinceLast time.Duration // > 0: a scale event happened this long ago
	unhealthy bool

	action  autoscalewire.Action
	delta   int32
	blocked []autoscalewire.BlockKind
	votes   map[string]autoscalewire.Vote
	reason  string // a part of the decision's reason, if set
}

func TestRules(t *testing.T) {
	tests := []ruleCase{
		// Thresholds, one metric at a time.
		{name: "cpu above 80 scales up", nodes: 4, metrics: with(quiet, MetricCPU, 80.5),
			action: ActionScaleUp, delta: 2, votes: map[string]autoscalewire.Vote{MetricCPU: VoteUp}},
		{name: "cpu at exactly 80 holds", nodes: 4, metrics: with(quiet, MetricCPU, 80.0),
			action: ActionNone, votes: map[string]autoscalewire.Vote{MetricCPU: VoteHold}},
		{name: "memory above 85 scales up", nodes: 4, metrics: with(quiet, MetricMemory, 85.1),
			action: ActionScaleUp, delta: 2, votes: map[string]autoscalewire.Vote{MetricMemory: VoteUp}},
		{name: "memory at 85 holds", nodes: 4, metrics: with(quiet, MetricMemory, 85.0), action: ActionNone},
		{name: "queue depth per node above 100 scales up", nodes: 4, metrics: with(quiet, MetricQueueDepth, 404.0),
			action: ActionScaleUp, delta: 2, votes: map[string]autoscalewire.Vote{MetricQueueDepthPerNode: VoteUp}},
		{name: "queue depth per node of 100 holds", nodes: 4, metrics: with(quiet, MetricQueueDepth, 400.0), action: ActionNone},
		{name: "one metric up wins over others down", nodes: 4, metrics: with(low, MetricMemory, 90.0),
			action: ActionScaleUp, delta: 2},
		{name: "every metric below its down threshold scales down by one", nodes: 4, metrics: low,
			action: ActionScaleDown, delta: -1, votes: map[string]autoscalewire.Vote{
				MetricCPU: VoteDown, MetricMemory: VoteDown, MetricQueueDepthPerNode: VoteDown}},
		{name: "cpu at 30 keeps the cluster", nodes: 4, metrics: with(low, MetricCPU, 30.0), action: ActionNone},
		{name: "memory at 40 keeps the cluster", nodes: 4, metrics: with(low, MetricMemory, 40.0), action: ActionNone},
		{name: "queue depth per node at 10 keeps the cluster", nodes: 4, metrics: with(low, MetricQueueDepth, 40.0), action: ActionNone},
		{name: "scale-down removes one node even from 50", nodes: 50, metrics: with(low, MetricQueueDepth, 0.0),
			action: ActionScaleDown, delta: -1},
		{name: "scale-down step is configurable", nodes: 50, metrics: with(low, MetricQueueDepth, 0.0),
			cfg: func(c *Config) { c.ScaleDownStep = 3 }, action: ActionScaleDown, delta: -3},

		// Scale-up size: ceil(50 %), at least 1.
		{name: "50% of 1 node is at least 1", nodes: 1, metrics: with(quiet, MetricCPU, 95.0), action: ActionScaleUp, delta: 1},
		{name: "50% of 3 nodes rounds up to 2", nodes: 3, metrics: with(quiet, MetricCPU, 95.0), action: ActionScaleUp, delta: 2},
		{name: "50% of 10 nodes is 5", nodes: 10, metrics: with(quiet, MetricCPU, 95.0), action: ActionScaleUp, delta: 5},
		{name: "scale-up minimum is configurable", nodes: 2, metrics: with(quiet, MetricCPU, 95.0),
			cfg: func(c *Config) { c.ScaleUpMin = 4 }, action: ActionScaleUp, delta: 4},

		{name: "a huge scale-up percent is clamped to max, not wrapped", nodes: 4, metrics: with(quiet, MetricCPU, 95.0),
			cfg: func(c *Config) { c.ScaleUpPercent = 1e30 }, action: ActionScaleUp, delta: 96,
			blocked: []autoscalewire.BlockKind{BlockBounds}},

		// Bounds.
		{name: "at max no scale-up", nodes: 100, metrics: with(quiet, MetricCPU, 95.0),
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockBounds}},
		{name: "scale-up clamped to max", nodes: 90, metrics: with(quiet, MetricCPU, 95.0),
			action: ActionScaleUp, delta: 10, blocked: []autoscalewire.BlockKind{BlockBounds}},
		{name: "at min no scale-down", nodes: 1, metrics: with(low, MetricQueueDepth, 0.0),
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockBounds}},
		{name: "below min scales up to min, even in cooldown", nodes: 1, metrics: quiet, sinceLast: time.Second,
			cfg: func(c *Config) { c.MinNodes = 3 }, action: ActionScaleUp, delta: 2},
		{name: "above max scales down to max", nodes: 12, metrics: with(quiet, MetricCPU, 95.0),
			cfg: func(c *Config) { c.MaxNodes = 10 }, action: ActionScaleDown, delta: -2},
		// Below the minimum (nodes crashed) the bounds are restored even in
		// cooldown, whatever the metrics say; only a change beyond the bounds
		// waits for the cooldown.
		{name: "below min under load reaches min in cooldown", nodes: 1, metrics: with(quiet, MetricCPU, 95.0), sinceLast: time.Second,
			cfg: func(c *Config) { c.MinNodes = 2 }, action: ActionScaleUp, delta: 1},
		{name: "below min under load goes no further than min in cooldown", nodes: 1, metrics: with(quiet, MetricCPU, 95.0), sinceLast: time.Second,
			cfg: func(c *Config) { c.MinNodes = 2; c.ScaleUpMin = 3 }, action: ActionScaleUp, delta: 1,
			blocked: []autoscalewire.BlockKind{BlockCooldown}},
		{name: "below min under load goes past min after cooldown", nodes: 1, metrics: with(quiet, MetricCPU, 95.0), sinceLast: time.Minute,
			cfg: func(c *Config) { c.MinNodes = 2; c.ScaleUpMin = 3 }, action: ActionScaleUp, delta: 3},
		{name: "above max with low metrics reaches max in cooldown", nodes: 12, metrics: low, sinceLast: time.Second,
			cfg: func(c *Config) { c.MaxNodes = 10; c.ScaleDownStep = 3 }, action: ActionScaleDown, delta: -2,
			blocked: []autoscalewire.BlockKind{BlockCooldown}},

		// Cooldown.
		{name: "scale-up inside cooldown is blocked", nodes: 4, metrics: with(quiet, MetricCPU, 95.0), sinceLast: 59 * time.Second,
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockCooldown}},
		{name: "scale-down inside cooldown is blocked", nodes: 4, metrics: low, sinceLast: 30 * time.Second,
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockCooldown}},
		{name: "cooldown over after 60s", nodes: 4, metrics: with(quiet, MetricCPU, 95.0), sinceLast: 60 * time.Second,
			action: ActionScaleUp, delta: 2},
		{name: "cooldown does not block holding", nodes: 4, metrics: quiet, sinceLast: time.Second, action: ActionNone},

		// Health.
		{name: "failing health check vetoes scale-up", nodes: 4, metrics: with(quiet, MetricCPU, 95.0), unhealthy: true,
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockHealth}},
		{name: "failing health check vetoes scale-down", nodes: 4, metrics: low, unhealthy: true,
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockHealth}},

		// Unreadable metrics.
		{name: "unreadable metric never scales down", nodes: 4, metrics: low, fail: []string{MetricMemory},
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockUnreadable},
			votes: map[string]autoscalewire.Vote{MetricMemory: VoteUnreadable, MetricCPU: VoteDown}},
		{name: "unreadable metric does not stop another scaling up", nodes: 4, metrics: with(quiet, MetricCPU, 95.0),
			fail: []string{MetricMemory}, action: ActionScaleUp, delta: 2},
		{name: "negative cpu is unreadable, not low", nodes: 4, metrics: with(low, MetricCPU, -1.0),
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockUnreadable},
			votes: map[string]autoscalewire.Vote{MetricCPU: VoteUnreadable}},
		{name: "negative queue depth is unreadable, not low", nodes: 4, metrics: with(low, MetricQueueDepth, -8.0),
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockUnreadable},
			votes: map[string]autoscalewire.Vote{MetricQueueDepthPerNode: VoteUnreadable}},
		{name: "all metrics unreadable holds", nodes: 4, metrics: low, fail: []string{MetricCPU, MetricMemory, MetricQueueDepth},
			action: ActionNone},

		// Custom metrics.
		{name: "custom metric above its threshold scales up", nodes: 4, metrics: with(quiet, "p99_ms", 300.0),
			cfg: func(c *Config) {
				c.Custom = []CustomMetric{{Name: "p99_ms", Thresholds: Thresholds{Up: 250, Down: 50}}}
			},
			action: ActionScaleUp, delta: 2, votes: map[string]autoscalewire.Vote{"p99_ms": VoteUp}},
		{name: "custom metric above its down threshold keeps the cluster", nodes: 4, metrics: with(low, "p99_ms", 100.0),
			cfg: func(c *Config) {
				c.Custom = []CustomMetric{{Name: "p99_ms", Thresholds: Thresholds{Up: 250, Down: 50}}}
			},
			action: ActionNone},
		{name: "custom metric below joins a scale-down", nodes: 4, metrics: with(low, "p99_ms", 20.0),
			cfg: func(c *Config) {
				c.Custom = []CustomMetric{{Name: "p99_ms", Thresholds: Thresholds{Up: 250, Down: 50}}}
			},
			action: ActionScaleDown, delta: -1},
		{name: "unreadable custom metric never scales down", nodes: 4, metrics: low, fail: []string{"p99_ms"},
			cfg: func(c *Config) {
				c.Custom = []CustomMetric{{Name: "p99_ms", Thresholds: Thresholds{Up: 250, Down: 50}}}
			},
			action: ActionNone, blocked: []autoscalewire.BlockKind{BlockUnreadable}},
		{name: "disabled metric is ignored", nodes: 4, metrics: with(low, MetricMemory, 99.0),
			cfg: func(c *Config) { c.Memory.Disabled = true }, action: ActionScaleDown, delta: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runRule(t, tc) })
	}
}

// runRule evaluates tc once and checks the decision and what the executor
// did.
func runRule(t *testing.T, tc ruleCase) {
	t.Helper()
	errRead := errors.New("scrape timed out")
	clock := NewManualClock(t0)
	cfg := DefaultConfig()
	cfg.Clock = clock
	cfg.Logger = quietLogger()
	if tc.cfg != nil {
		tc.cfg(&cfg)
	}
	cfg.HealthChecks = []HealthCheck{{Name: "raft-leader", Check: func(context.Context) error {
		if tc.unhealthy {
			return errors.New("no leader")
		}
		return nil
	}}}
	s, err := NewInMemory(cfg, tc.nodes)
	require.NoError(t, err)
	for k, v := range tc.metrics {
		s.Metrics.Set(k, v)
	}
	for _, k := range tc.fail {
		s.Metrics.Fail(k, errRead)
	}
	if tc.sinceLast > 0 {
		s.lastEvent = t0.Add(-tc.sinceLast)
	}

	d, err := s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equalf(t, tc.action, d.Action, "reason: %s, blocked: %v", d.Reason, d.Blocked)
	require.Equal(t, tc.delta, d.Delta)
	require.Equal(t, int32(tc.nodes), d.Current)
	var kinds []autoscalewire.BlockKind
	for _, b := range d.Blocked {
		kinds = append(kinds, b.Kind)
		require.NotEmpty(t, b.Detail)
		if b.Kind == BlockCooldown && tc.delta != 0 {
			require.Contains(t, b.Detail, "only back within", "a partial change in cooldown says what went ahead")
		}
	}
	require.Equal(t, tc.blocked, kinds)
	for name, vote := range tc.votes {
		found := false
		for _, r := range d.Readings {
			if r.Name == name {
				found = true
				require.Equalf(t, vote, r.Vote, "%s: %s", name, r.Reason)
			}
		}
		require.Truef(t, found, "no reading for %s", name)
	}
	require.NotEmpty(t, d.Reason)

	// The executor did exactly what the decision says.
	got, _ := s.Recorder.Nodes(context.Background())
	require.Equal(t, tc.nodes+int(tc.delta), got)
	if tc.delta != 0 {
		require.NotNil(t, d.Event)
		require.Len(t, d.Event.Nodes, int(abs(tc.delta)))
		require.Equal(t, int32(tc.nodes), d.Event.Before)
		require.Equal(t, int32(got), d.Event.After)
	} else {
		require.Nil(t, d.Event)
		require.Empty(t, s.Recorder.Calls())
	}
	require.Contains(t, d.Reason, tc.reason)
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestCooldownAcrossEvaluations drives the cooldown through real events: a
// scale-up starts it, a second request inside it is blocked, and after it
// the next change goes through.
func TestCooldownAcrossEvaluations(t *testing.T) {
	s, clock := newTestScaler(t, 2, nil)
	s.Metrics.Set(MetricCPU, 95)
	s.Metrics.Set(MetricMemory, 50)

	d, err := s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, int32(1), d.Delta)

	clock.Advance(15 * time.Second)
	d, err = s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, ActionNone, d.Action)
	require.True(t, Blocked(d, BlockCooldown))

	clock.Advance(45 * time.Second)
	d, err = s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, int32(2), d.Delta, "3 nodes: ceil(1.5) = 2")
	require.Len(t, s.Recorder.Names(), 5)
}

// TestExecutorFailureIsReportedAndRetried: a failed executor call does not
// start the cooldown, so the next evaluation tries again.
func TestExecutorFailureIsReportedAndRetried(t *testing.T) {
	s, clock := newTestScaler(t, 2, nil)
	s.Metrics.Set(MetricCPU, 95)
	s.Recorder.FailWith(errors.New("quota exceeded"))

	d, err := s.Evaluate(context.Background())
	require.ErrorContains(t, err, "quota exceeded")
	require.True(t, Blocked(d, BlockExecutor))
	require.NotNil(t, d.Event)
	require.Contains(t, d.Event.Error, "quota exceeded")

	s.Recorder.FailWith(nil)
	clock.Advance(15 * time.Second)
	d, err = s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, int32(1), d.Delta)
}

// newTestScaler returns an in-memory scaler on a manual clock at t0 with
// the default config changed by mutate (may be nil).
func newTestScaler(t *testing.T, nodes int, mutate func(*Config)) (*InMemory, *ManualClock) {
	t.Helper()
	clock := NewManualClock(t0)
	cfg := DefaultConfig()
	cfg.Clock = clock
	cfg.Logger = quietLogger()
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := NewInMemory(cfg, nodes)
	require.NoError(t, err)
	return s, clock
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestStats(t *testing.T) {
	s, clock := newTestScaler(t, 2, nil)
	s.Metrics.Set(MetricCPU, 95)
	s.Metrics.Fail(MetricMemory, errors.New("gone"))
	for range 3 { // up by 1, then two evaluations inside the cooldown
		_, err := s.Evaluate(context.Background())
		require.NoError(t, err)
		clock.Advance(15 * time.Second)
	}
	s.Metrics.Set(MetricCPU, 5)
	s.Metrics.Set(MetricMemory, 5)
	clock.Advance(time.Minute)
	_, err := s.Evaluate(context.Background()) // down by 1
	require.NoError(t, err)
	require.Equal(t, Stats{Evaluations: 4, ScaleUps: 1, ScaleDowns: 1, NodesAdded: 1, NodesRemoved: 1,
		BlockedByCooldown: 2, ReadErrors: 3}, s.Stats())
}
