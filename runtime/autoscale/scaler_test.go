package autoscale

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestConcurrentEvaluate: many goroutines evaluate at once under -race;
// evaluations are serialised, so exactly one scale-up happens and every
// other evaluation sees the cooldown.
func TestConcurrentEvaluate(t *testing.T) {
	s, _ := newTestScaler(t, 4, nil)
	s.Metrics.Set(MetricCPU, 95)

	const n = 16
	var wg sync.WaitGroup
	decisions := make(chan Decision, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := s.Evaluate(context.Background())
			if err == nil {
				decisions <- d
			}
		}()
	}
	wg.Wait()
	close(decisions)
	ups, cooled := 0, 0
	for d := range decisions {
		if d.Action == ActionScaleUp {
			ups++
		}
		if Blocked(d, BlockCooldown) {
			cooled++
		}
	}
	require.Equal(t, 1, ups)
	require.Equal(t, n-1, cooled)
	require.Len(t, s.Recorder.Names(), 6)
	require.Len(t, s.Recorder.Calls(), 1)
}

// TestRunEvaluatesEveryInterval drives Run with a manual clock and stops it
// through its context.
func TestRunEvaluatesEveryInterval(t *testing.T) {
	s, clock := newTestScaler(t, 1, func(c *Config) {
		c.Cooldown = 0
	})
	s.Metrics.Set(MetricCPU, 95)
	seen := make(chan Decision, 10)
	s.OnDecision(func(d Decision) { seen <- d })

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-clock.TickerCreated()

	clock.Advance(14 * time.Second)
	select {
	case d := <-seen:
		t.Fatalf("evaluated before the interval: %+v", d)
	default:
	}
	for want := 2; want <= 3; want++ {
		clock.Advance(15 * time.Second)
		d := <-seen
		require.Equal(t, ActionScaleUp, d.Action)
		require.Equal(t, int32(want), d.Event.After)
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestEvaluateErrors(t *testing.T) {
	s, err := NewInMemory(DefaultConfig(), 1)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Evaluate(ctx)
	require.ErrorIs(t, err, context.Canceled)

	_, err = New(DefaultConfig(), nil, NewRecorder(1))
	require.ErrorIs(t, err, ErrInvalidConfig)

	bad := DefaultConfig()
	bad.MaxNodes = 0
	_, err = NewInMemory(bad, 1)
	require.ErrorIs(t, err, ErrInvalidConfig)

	a, err := New(DefaultConfig(), NewStaticMetrics(nil), &brokenExecutor{})
	require.NoError(t, err)
	_, err = a.Evaluate(context.Background())
	require.ErrorContains(t, err, "read node count")
}

type brokenExecutor struct{ Recorder }

func (*brokenExecutor) Nodes(context.Context) (int, error) { return 0, errors.New("api down") }

// TestPredictiveScalesAheadOfTheThreshold: with the look-ahead, a CPU rising
// 1 %/s from 50 % is projected past 80 % within the 60 s horizon and scaled
// for before it gets there; the seed policy waits.
func TestPredictiveScalesAheadOfTheThreshold(t *testing.T) {
	for _, predictive := range []bool{false, true} {
		clock := NewManualClock(t0)
		cfg := DefaultConfig()
		cfg.Clock = clock
		if predictive {
			cfg.Predictive = DefaultPredictive(60 * time.Second)
		}
		s, err := NewInMemory(cfg, 10)
		require.NoError(t, err)
		s.Metrics.Set(MetricMemory, 50)
		var first Decision
		for i := range 4 {
			s.Metrics.Set(MetricCPU, 50+15*float64(i))
			d, err := s.Evaluate(context.Background())
			require.NoError(t, err)
			if d.Action == ActionScaleUp {
				first = d
				break
			}
			clock.Advance(15 * time.Second)
		}
		if !predictive {
			require.Equal(t, ActionScaleUp, first.Action)
			require.InDelta(t, 95, first.Readings[0].Value, 1e-9, "seed policy waits until 95 %% exceeds 80 %%")
			continue
		}
		require.Equal(t, ActionScaleUp, first.Action)
		require.Equal(t, int32(10), first.Current)
		// The third reading (80 %, the first with a trend) rises 1 %/s:
		// 140 % is projected 60 s ahead. Sized for 0.75*80 = 60 %:
		// ceil(10*140/60) = 24 nodes, 14 more than the 50 % step of 5, but
		// capped at doubling: 10 more.
		require.Equal(t, int32(10), first.Delta, first.Readings)
		require.InDelta(t, 80, first.Readings[0].Value, 1e-9)
	}
}

// TestPredictiveNeverScalesDownOnAFallingProjection: a falling trend alone
// cannot trigger a scale-down while the current reading is above the down
// threshold.
func TestPredictiveNeverScalesDownOnAFallingProjection(t *testing.T) {
	s, clock := newTestScaler(t, 10, func(c *Config) {
		c.Predictive = DefaultPredictive(60 * time.Second)
	})
	s.Metrics.Set(MetricMemory, 10)
	for _, cpu := range []float64{60, 50, 40, 35} {
		s.Metrics.Set(MetricCPU, cpu)
		d, err := s.Evaluate(context.Background())
		require.NoError(t, err)
		require.Equal(t, ActionNone, d.Action, d.Readings)
		clock.Advance(15 * time.Second)
	}
}

// TestPredictiveScaleDownToTarget: with the look-ahead, a scale-down waits
// until the window's peak is below the down threshold, then removes what
// keeps that peak at Target of the up threshold.
func TestPredictiveScaleDownToTarget(t *testing.T) {
	s, clock := newTestScaler(t, 20, func(c *Config) { c.Predictive = DefaultPredictive(60 * time.Second) })
	s.Metrics.Set(MetricMemory, 10)
	s.Metrics.Set(MetricCPU, 35)
	_, err := s.Evaluate(context.Background())
	require.NoError(t, err)
	peakAt := clock.Now()
	s.Metrics.Set(MetricCPU, 20)
	var d Decision
	for range 100 {
		clock.Advance(15 * time.Second)
		d, err = s.Evaluate(context.Background())
		require.NoError(t, err)
		if d.Action != ActionNone {
			break
		}
	}
	require.Equal(t, ActionScaleDown, d.Action, d.Readings)
	require.Greater(t, clock.Now().Sub(peakAt), 10*time.Minute, "not before the 35 %% reading left the window")
	// Peak 20 % on 20 nodes, sized for 0.75*80 = 60 %: keep ceil(20*20/60) = 7.
	require.Equal(t, int32(-13), d.Delta)
}

// TestPredictiveCountsStartingNodes: right after a scale-up from 10 to 15
// nodes, a CPU of 90 % measured on the 10 old nodes reads as 60 % over the
// 15 to come, so the scaler does not add nodes for the same load twice; once
// the start-up delay and an interval have passed, 90 % is 90 % again.
func TestPredictiveCountsStartingNodes(t *testing.T) {
	s, clock := newTestScaler(t, 10, func(c *Config) {
		c.Cooldown = 0
		c.Predictive = &Predictive{Horizon: time.Minute, Window: 10 * time.Minute, Target: 1}
	})
	s.Metrics.Set(MetricMemory, 50)
	s.Metrics.Set(MetricCPU, 90)
	d, err := s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, int32(5), d.Delta, "ceil(50 %% of 10)")

	clock.Advance(15 * time.Second)
	d, err = s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, ActionNone, d.Action, d.Readings)
	require.InDelta(t, 60, d.Readings[0].Value, 1e-9)
	require.Contains(t, d.Readings[0].Reason, "counting 5 starting nodes")

	clock.Advance(time.Minute) // 75 s after the scale-up
	d, err = s.Evaluate(context.Background())
	require.NoError(t, err)
	require.InDelta(t, 90, d.Readings[0].Value, 1e-9)
	require.Equal(t, ActionScaleUp, d.Action)
}

// TestPredictiveSpreadsOnlyUtilisations: while new nodes start, CPU and
// memory are spread over them, but a custom metric (a latency) is not a
// utilisation: it is judged as read.
func TestPredictiveSpreadsOnlyUtilisations(t *testing.T) {
	s, clock := newTestScaler(t, 10, func(c *Config) {
		c.Cooldown = 0
		c.Predictive = &Predictive{Horizon: time.Minute, Window: 10 * time.Minute, Target: 1}
		c.Custom = []CustomMetric{{Name: "p99_ms", Thresholds: Thresholds{Up: 250, Down: 50}}}
	})
	s.Metrics.Set(MetricMemory, 50)
	s.Metrics.Set(MetricCPU, 90)
	s.Metrics.Set("p99_ms", 100)
	d, err := s.Evaluate(context.Background())
	require.NoError(t, err)
	require.Equal(t, int32(5), d.Delta)

	clock.Advance(15 * time.Second)
	s.Metrics.Set(MetricCPU, 60)
	s.Metrics.Set("p99_ms", 300)
	d, err = s.Evaluate(context.Background())
	require.NoError(t, err)
	p99 := d.Readings[3]
	require.Equal(t, "p99_ms", p99.Name)
	require.InDelta(t, 300, p99.Value, 1e-9, p99.Reason)
	require.NotContains(t, p99.Reason, "starting nodes")
	require.Equal(t, VoteUp, p99.Vote, p99.Reason)
	require.Contains(t, d.Readings[0].Reason, "counting 5 starting nodes", "cpu is still spread")
}

// blockingExecutor is a Recorder whose ScaleUp waits for release.
type blockingExecutor struct {
	*Recorder
	entered, release chan struct{}
}

func (b *blockingExecutor) ScaleUp(ctx context.Context, n int) (Result, error) {
	close(b.entered)
	<-b.release
	return b.Recorder.ScaleUp(ctx, n)
}

// TestStatsDoNotWaitForTheExecutor: an exporter reading the counters while
// an executor takes its time (a node's stop timeout, a slow API server)
// gets them at once instead of hanging until the scale event ends.
func TestStatsDoNotWaitForTheExecutor(t *testing.T) {
	exec := &blockingExecutor{Recorder: NewRecorder(2), entered: make(chan struct{}), release: make(chan struct{})}
	cfg := DefaultConfig()
	cfg.Logger = quietLogger()
	a, err := New(cfg, NewStaticMetrics(map[string]float64{MetricCPU: 95, MetricMemory: 50, MetricQueueDepth: 0}), exec)
	require.NoError(t, err)
	evaluated := make(chan error, 1)
	go func() {
		_, err := a.Evaluate(context.Background())
		evaluated <- err
	}()
	<-exec.entered

	stats := make(chan Stats, 1)
	go func() { stats <- a.Stats() }()
	select {
	case s := <-stats:
		require.Equal(t, Stats{}, s, "the evaluation in progress is not counted yet")
	case <-time.After(10 * time.Second):
		close(exec.release)
		<-evaluated
		<-stats
		t.Fatal("Stats blocked while the executor was scaling")
	}
	close(exec.release)
	require.NoError(t, <-evaluated)
	require.Equal(t, uint64(1), a.Stats().ScaleUps)
}
