package autoscale

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lines collects a node's output and lets a test wait for a line.
type lines struct {
	all []string // lines read so far, in the test's goroutine
	ch  chan string
}

func newLines() (*lines, io.WriteCloser) {
	l := &lines{ch: make(chan string, 100)}
	r, w := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.ch <- sc.Text()
		}
		close(l.ch)
	}()
	return l, w
}

// waitFor returns the first line so far or to come containing want
// (nodes share the output, so lines arrive in any order), failing after a
// generous deadline (a hung child, not a timing assertion).
func (l *lines) waitFor(t *testing.T, want string) string {
	t.Helper()
	for _, s := range l.all {
		if strings.Contains(s, want) {
			return s
		}
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case s, ok := <-l.ch:
			require.True(t, ok, "output closed before %q", want)
			l.all = append(l.all, s)
			if strings.Contains(s, want) {
				return s
			}
		case <-deadline:
			t.Fatalf("no line containing %q in %q", want, l.all)
		}
	}
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func testNodeConfig(t *testing.T, mode string, out io.Writer, exits chan<- Exit) ProcessConfig {
	exe, err := os.Executable()
	require.NoError(t, err)
	return ProcessConfig{
		Command: []string{exe, "index={{.Index}}", "port={{.Port}}", "name={{.Name}}"},
		// The race detector sleeps 1 s at exit unless told not to.
		Env:         []string{nodeModeEnv + "=" + mode, "GORACE=atexit_sleep_ms=0"},
		StopTimeout: 30 * time.Second,
		Stdout:      out,
		OnExit:      func(e Exit) { exits <- e },
		Logger:      quietLogger(),
	}
}

func TestProcessesStartAndStopWellBehavedNodes(t *testing.T) {
	ctx := context.Background()
	out, w := newLines()
	defer w.Close()
	exits := make(chan Exit, 10)
	cfg := testNodeConfig(t, "well", w, exits)
	cfg.BasePort = 41000
	p, err := NewProcesses(cfg)
	require.NoError(t, err)

	res, err := p.ScaleUp(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, Result{Changed: 2, Nodes: []string{"node-0", "node-1"}, Before: 0, After: 2}, res)
	// The templates reached the children.
	out.waitFor(t, "ready well [index=0 port=41000 name=node-0]")
	out.waitFor(t, "ready well [index=1 port=41001 name=node-1]")
	running := p.Running()
	require.Len(t, running, 2)

	res, err = p.ScaleDown(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, Result{Changed: 1, Nodes: []string{"node-1"}, Before: 2, After: 1}, res, "newest first")
	out.waitFor(t, "bye [index=1")
	e := <-exits
	require.Equal(t, "node-1", e.Name)
	require.True(t, e.Stopped)
	require.False(t, e.Killed, "it exited on SIGTERM")
	require.NoError(t, e.Err)
	require.False(t, alive(running[1].PID))
	require.True(t, alive(running[0].PID))

	// Indexes are never reused.
	res, err = p.ScaleUp(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, []string{"node-2"}, res.Nodes)
	out.waitFor(t, "ready well [index=2 port=41002")

	require.NoError(t, p.Close(ctx))
	for range 2 {
		e := <-exits
		require.True(t, e.Stopped)
	}
	for _, n := range running {
		require.False(t, alive(n.PID), "no process left behind")
	}
	n, _ := p.Nodes(ctx)
	require.Zero(t, n)
	_, err = p.ScaleUp(ctx, 1)
	require.ErrorIs(t, err, ErrClosed)
}

func TestProcessesKillNodesThatIgnoreSIGTERM(t *testing.T) {
	ctx := context.Background()
	out, w := newLines()
	defer w.Close()
	exits := make(chan Exit, 10)
	cfg := testNodeConfig(t, "stubborn", w, exits)
	cfg.StopTimeout = 200 * time.Millisecond
	p, err := NewProcesses(cfg)
	require.NoError(t, err)
	defer p.Close(ctx)

	_, err = p.ScaleUp(ctx, 1)
	require.NoError(t, err)
	out.waitFor(t, "ready stubborn")
	pid := p.Running()[0].PID
	require.NotZero(t, p.Running()[0].Port, "a free port was picked")

	res, err := p.ScaleDown(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, res.Changed)
	e := <-exits
	require.True(t, e.Killed, "SIGTERM was ignored, SIGKILL followed")
	var ee *exec.ExitError
	require.True(t, errors.As(e.Err, &ee))
	require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
	require.False(t, alive(pid))
}

func TestProcessesScaleDownContextKillsAtOnce(t *testing.T) {
	out, w := newLines()
	defer w.Close()
	exits := make(chan Exit, 10)
	cfg := testNodeConfig(t, "stubborn", w, exits) // 30 s stop timeout
	p, err := NewProcesses(cfg)
	require.NoError(t, err)
	defer p.Close(context.Background())
	_, err = p.ScaleUp(context.Background(), 1)
	require.NoError(t, err)
	out.waitFor(t, "ready stubborn")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.ScaleDown(ctx, 1)
	require.NoError(t, err)
	require.True(t, (<-exits).Killed)
}

func TestProcessesNodeThatDiesStopsCounting(t *testing.T) {
	ctx := context.Background()
	exits := make(chan Exit, 10)
	cfg := testNodeConfig(t, "crash", nil, exits)
	p, err := NewProcesses(cfg)
	require.NoError(t, err)
	defer p.Close(ctx)
	_, err = p.ScaleUp(ctx, 1)
	require.NoError(t, err)
	e := <-exits
	require.False(t, e.Stopped)
	require.ErrorContains(t, e.Err, "exit status 3")
	n, _ := p.Nodes(ctx)
	require.Zero(t, n)
}

func TestProcessesConfigAndStartErrors(t *testing.T) {
	_, err := NewProcesses(ProcessConfig{})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = NewProcesses(ProcessConfig{Command: []string{"node", "{{.Index"}})
	require.ErrorContains(t, err, "command[1]")
	_, err = NewProcesses(ProcessConfig{Command: []string{"node", "{{.Host}}"}})
	require.ErrorContains(t, err, "Host")
	_, err = NewProcesses(ProcessConfig{Command: []string{"node"}, Env: []string{"X={{.Nope}}"}})
	require.ErrorContains(t, err, "env[0]")

	p, err := NewProcesses(ProcessConfig{Command: []string{"/nonexistent/dwnode", "{{.Port}}"}, Logger: quietLogger()})
	require.NoError(t, err)
	res, err := p.ScaleUp(context.Background(), 2)
	require.ErrorContains(t, err, "started 0 of 2 nodes")
	require.ErrorContains(t, err, "/nonexistent/dwnode")
	require.Zero(t, res.Changed)
	_, err = p.ScaleUp(context.Background(), 0)
	require.ErrorIs(t, err, ErrInvalidRequest)
	require.NoError(t, p.Close(context.Background()))
}

// TestProcessesDriveAScaler wires the production scaler to real processes.
func TestProcessesDriveAScaler(t *testing.T) {
	ctx := context.Background()
	out, w := newLines()
	defer w.Close()
	exits := make(chan Exit, 10)
	p, err := NewProcesses(testNodeConfig(t, "well", w, exits))
	require.NoError(t, err)
	defer p.Close(ctx)
	_, err = p.ScaleUp(ctx, 1)
	require.NoError(t, err)
	out.waitFor(t, "ready well [index=0")

	clock := NewManualClock(t0)
	cfg := DefaultConfig()
	cfg.Clock, cfg.Logger = clock, quietLogger()
	metrics := NewStaticMetrics(map[string]float64{MetricCPU: 95, MetricMemory: 50, MetricQueueDepth: 0})
	s, err := New(cfg, metrics, p)
	require.NoError(t, err)
	d, err := s.Evaluate(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"node-1"}, d.Event.Nodes)
	out.waitFor(t, "ready well [index=1")

	metrics.Set(MetricCPU, 5)
	metrics.Set(MetricMemory, 5)
	clock.Advance(time.Minute)
	d, err = s.Evaluate(ctx)
	require.NoError(t, err)
	require.Equal(t, ActionScaleDown, d.Action)
	require.Equal(t, []string{"node-1"}, d.Event.Nodes)
	require.True(t, (<-exits).Stopped)
}

// TestProcessesResultCountsWhileAnotherStopIsInProgress: Before and After
// count the nodes Nodes counts (not the ones another ScaleDown is still
// stopping), so After-Before is the change the call made.
func TestProcessesResultCountsWhileAnotherStopIsInProgress(t *testing.T) {
	out, w := newLines()
	defer w.Close()
	exits := make(chan Exit, 10)
	p, err := NewProcesses(testNodeConfig(t, "stubborn", w, exits)) // 30 s stop timeout
	require.NoError(t, err)
	defer func() {
		now, cancel := context.WithCancel(context.Background())
		cancel() // SIGKILL whatever is left at once
		p.Close(now)
	}()
	_, err = p.ScaleUp(context.Background(), 2)
	require.NoError(t, err)
	out.waitFor(t, "ready stubborn [index=0")
	out.waitFor(t, "ready stubborn [index=1")

	slow, stopSlow := context.WithCancel(context.Background())
	defer stopSlow()
	first := make(chan Result, 1)
	go func() {
		res, _ := p.ScaleDown(slow, 1) // node-1 ignores SIGTERM: this waits
		first <- res
	}()
	require.Eventually(t, func() bool { n, _ := p.Nodes(context.Background()); return n == 1 },
		30*time.Second, time.Millisecond, "the first ScaleDown never picked its node")

	res, err := p.ScaleUp(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, 1, res.Before, "node-1 is being stopped: not counted")
	require.Equal(t, 2, res.After)

	now, cancel := context.WithCancel(context.Background())
	cancel() // SIGKILL at once
	res, err = p.ScaleDown(now, 1)
	require.NoError(t, err)
	require.Equal(t, Result{Changed: 1, Nodes: []string{"node-2"}, Before: 2, After: 1}, res)

	stopSlow()
	require.Equal(t, Result{Changed: 1, Nodes: []string{"node-1"}, Before: 2, After: 1}, <-first)
}

// TestProcessesBackOffAfterFailedStarts: kubernetes/autoscaler#198 (#185),
// the cluster-autoscaler kept asking for nodes that never became ready
// until it learnt to back a node group off after a failed scale-up. With a
// node that crashes at once (a broken binary, a bad flag) and a minimum of
// 2, the scaler restores the minimum at every evaluation, even in the
// cooldown: without a backoff, 80 processes (and, for dwnode, 80 data
// directories) in 10 minutes. Starts that fail in a row back off 1 s,
// doubling up to 5 min, and the scaler reports the backoff.
func TestProcessesBackOffAfterFailedStarts(t *testing.T) {
	ctx := context.Background()
	clock := NewManualClock(t0)
	exits := make(chan Exit, 100)
	pcfg := testNodeConfig(t, "crash", nil, exits)
	pcfg.Clock = clock
	p, err := NewProcesses(pcfg)
	require.NoError(t, err)
	defer p.Close(ctx)

	cfg := DefaultConfig()
	cfg.Clock, cfg.Logger, cfg.MinNodes = clock, quietLogger(), 2
	s, err := New(cfg, NewStaticMetrics(quiet), p)
	require.NoError(t, err)
	started, backedOff := 0, 0
	for range 40 { // 10 minutes of evaluations
		d, err := s.Evaluate(ctx)
		if errors.Is(err, ErrStartBackoff) {
			backedOff++
			require.True(t, Blocked(d, BlockExecutor))
		}
		if d.Event != nil {
			for range len(d.Event.Nodes) {
				require.False(t, (<-exits).Stopped, "crashed on its own")
				started++
			}
		}
		clock.Advance(15 * time.Second)
	}
	// 2 nodes each at 0, 15, 30, 75, 210 and 510 s: the failures in a row
	// back off 2, 8, 32, 128 s and then the 5 min cap.
	require.Equal(t, 12, started)
	require.Equal(t, 34, backedOff)

	// A node that exits after StartGrace was no failed start: it ends the
	// backoff.
	p.mu.Lock()
	p.noteExit(&procNode{started: clock.Now().Add(-time.Minute)})
	require.Zero(t, p.failed)
	require.NoError(t, p.backoff())
	p.mu.Unlock()
}
