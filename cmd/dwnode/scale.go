package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dwsdk/distributed/runtime/autoscale"
	"github.com/dwsdk/distributed/runtime/swim"
)

// leaderScaler runs the auto-scaler while, and only while, this node is
// the Raft leader: a single decision-maker for the cluster, whose state
// restarts with each new leader, apart from the cooldown, which runs from
// the last change of size SWIM's list shows. It scales up by starting
// dwnode processes through autoscale's local-process executor (children
// of this node that join the cluster through it) and scales down by asking
// the youngest other member to leave gracefully, so it can also remove
// nodes an earlier leader started.
type leaderScaler struct {
	n *Node
	// procs and logf (the started nodes' output) are created by run's
	// goroutine and closed when it ends; the scaler it runs uses procs.
	procs *autoscale.Processes
	logf  *os.File

	mu      sync.Mutex
	cancel  context.CancelFunc // of the running scaler, while leader
	done    chan struct{}
	stopped bool

	// failures and retryAt pace start attempts after failures (a broken
	// data directory, cgroup files that cannot be read): retried after
	// startRetryMin, doubling up to startRetryMax, from scratch after a
	// success or a leadership change. Used by run's goroutine only.
	failures int
	retryAt  time.Time
}

// The backoff between failed attempts to start the auto-scaler.
const (
	startRetryMin = time.Second
	startRetryMax = time.Minute
)

func newLeaderScaler(n *Node) *leaderScaler { return &leaderScaler{n: n} }

// run starts and stops the scaler as leadership comes and goes.
func (s *leaderScaler) run(ctx context.Context) error {
	if !s.n.cfg.Autoscale {
		return nil
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	defer func() {
		if s.logf != nil { // the children hold their own descriptors
			s.logf.Close()
		}
	}()
	for {
		s.step(ctx, time.Now(), s.n.kv.isLeader())
		select {
		case <-ctx.Done():
			s.halt()
			return nil
		case <-t.C:
		}
	}
}

// step is one pass of run's loop at time now: it starts the scaler when
// this node is the leader (after a failed start, once the backoff has
// passed) and stops it when it no longer is.
func (s *leaderScaler) step(ctx context.Context, now time.Time, leader bool) {
	s.mu.Lock()
	running, stopped := s.cancel != nil, s.stopped
	s.mu.Unlock()
	switch {
	case !leader || stopped:
		s.failures, s.retryAt = 0, time.Time{}
		if running {
			s.halt()
		}
	case !running && !now.Before(s.retryAt):
		if err := s.start(ctx); err != nil {
			wait := startRetryMin << min(s.failures, 16)
			wait = min(wait, startRetryMax)
			s.failures++
			s.retryAt = now.Add(wait)
			s.n.log.Error("dwnode: auto-scaler did not start", "err", err, "attempt", s.failures, "retry_in", wait)
			return
		}
		s.failures, s.retryAt = 0, time.Time{}
	}
}

// start creates the scaler (and, the first time, the process executor).
func (s *leaderScaler) start(ctx context.Context) error {
	n := s.n
	if s.procs == nil {
		bin := n.cfg.ScaleBinary
		if bin == "" {
			var err error
			if bin, err = os.Executable(); err != nil {
				return fmt.Errorf("find own executable: %w", err)
			}
		}
		logf, err := os.OpenFile(n.dataPath("autoscaled-nodes.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		p, err := autoscale.NewProcesses(autoscale.ProcessConfig{
			Command: append([]string{bin}, s.childArgs()...), Env: []string{"DWNODE_TOKEN=" + n.cfg.Token},
			StopTimeout: n.cfg.ScaleStopTimeout, Stdout: logf, Stderr: logf, Logger: n.log,
		})
		if err != nil {
			logf.Close()
			return err
		}
		s.procs, s.logf = p, logf
	}
	cfg := n.cfg.scalerConfig()
	cfg.Logger = n.log
	container, err := autoscale.NewContainerMetrics(autoscale.ContainerConfig{})
	if err != nil {
		return err
	}
	metrics := autoscale.MetricFunc(func(ctx context.Context, name string) (float64, error) {
		if name == autoscale.MetricQueueDepth {
			return s.clusterLoad(ctx)
		}
		return container.Metric(ctx, name)
	})
	a, err := newClusterScaler(cfg, metrics, &clusterExecutor{s: s}, n.members())
	if err != nil {
		return err
	}
	a.OnDecision(func(d autoscale.Decision) {
		n.metrics.scale.WithLabelValues(autoscale.ActionString(d.Action)).Inc()
		if d.Action != autoscale.ActionNone {
			n.log.Info("dwnode: auto-scaler decision", "action", autoscale.ActionString(d.Action),
				"current", d.Current, "delta", d.Delta, "reason", d.Reason)
		}
	})
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.mu.Lock()
	s.cancel, s.done = cancel, done
	s.mu.Unlock()
	n.log.Info("dwnode: auto-scaler started on the Raft leader")
	go func() {
		defer close(done)
		if err := a.Run(sctx); err != nil && sctx.Err() == nil {
			n.log.Error("dwnode: auto-scaler stopped", "err", err)
		}
	}()
	return nil
}

// newClusterScaler is the auto-scaler of a new leadership term. Its
// cooldown runs from the cluster's last change of size that SWIM's list
// shows (lastMembershipChange), so a new leader does not scale again right
// after the previous one did: the HPA keeps its last scale time in the
// object's status for the same reason.
func newClusterScaler(cfg autoscale.Config, m autoscale.MetricProvider, e autoscale.Executor, ms []memberInfo) (*autoscale.Autoscaler, error) {
	a, err := autoscale.New(cfg, m, e)
	if err != nil {
		return nil, err
	}
	if at := lastMembershipChange(ms); !at.IsZero() {
		a.NoteEvent(at)
	}
	return a, nil
}

// lastMembershipChange is when the cluster last changed size, as far as
// SWIM's list tells: the latest start (epoch) of a member that counts as a
// node, and the latest graceful leave (a scale-down asks a member to
// leave). A crash is not a scale event, and a restart counts as one (it
// changed the capacity too).
func lastMembershipChange(ms []memberInfo) time.Time {
	var last time.Time
	for _, m := range ms {
		var at time.Time
		switch {
		case up(m) && m.meta.Epoch != 0:
			at = time.Unix(0, int64(m.meta.Epoch))
		case m.State == swim.StateLeft:
			at = m.Since
		}
		if at.After(last) {
			last = at
		}
	}
	return last
}

// scalerConfig is the auto-scaler's policy as the -scale-* flags set it.
func (c Config) scalerConfig() autoscale.Config {
	cfg := autoscale.DefaultConfig()
	cfg.MinNodes, cfg.MaxNodes = c.ScaleMin, c.ScaleMax
	cfg.Interval, cfg.Cooldown = c.ScaleInterval, c.ScaleCooldown
	cfg.QueueDepth = autoscale.Thresholds{Up: c.ScaleQueueUp, Down: c.ScaleQueueDown}
	cfg.CPU.Disabled, cfg.Memory.Disabled = !c.ScaleResources, !c.ScaleResources
	return cfg
}

// halt stops the running scaler (the nodes it started keep running).
func (s *leaderScaler) halt() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
		s.n.log.Info("dwnode: auto-scaler stopped (no longer leader)")
	}
}

// stop ends the scaler for good (graceful shutdown). The nodes this node
// started stay up: they are cluster members in their own right.
func (s *leaderScaler) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.halt()
}

// childPrefix starts the names of the nodes this node starts:
// PREFIX-INDEX, INDEX counting from 0 (Processes' NodeSpec.Index).
func (s *leaderScaler) childPrefix() string {
	return s.n.cfg.Name + "-" + strconv.FormatUint(s.n.epoch/1e6%46656, 36)
}

// childArgs are the flags of a node this node starts: its own settings,
// fresh ports, a data directory next to its own, joining through it.
func (s *leaderScaler) childArgs() []string {
	c := s.n.cfg
	name := s.childPrefix() + "-{{.Index}}"
	args := []string{
		"-name", name,
		"-data", filepath.Join(filepath.Dir(filepath.Clean(c.DataDir)), name),
		"-swim-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0",
		"-join", s.n.swim.LocalNode().Addr,
		"-swim-profile", c.SWIM, "-log-level", c.LogLevel.String(),
		"-replica-tick", c.ReplicaTick.String(), "-raft-election", c.Election.String(), "-raft-heartbeat", c.Heartbeat.String(),
		"-replica-stream-threshold", strconv.Itoa(c.StreamThreshold),
		"-prune-after", c.PruneAfter.String(), "-prune-marker-ttl", c.MarkerTTL.String(),
		"-shutdown-timeout", c.ShutdownTimeout.String(),
		"-scale-min", strconv.Itoa(c.ScaleMin), "-scale-max", strconv.Itoa(c.ScaleMax),
		"-scale-interval", c.ScaleInterval.String(), "-scale-cooldown", c.ScaleCooldown.String(),
		"-scale-queue-up", strconv.FormatFloat(c.ScaleQueueUp, 'g', -1, 64),
		"-scale-queue-down", strconv.FormatFloat(c.ScaleQueueDown, 'g', -1, 64),
		"-scale-resources=" + strconv.FormatBool(c.ScaleResources),
		"-scale-stop-timeout", c.ScaleStopTimeout.String(),
	}
	if c.Autoscale {
		args = append(args, "-autoscale")
	}
	if c.ScaleBinary != "" {
		args = append(args, "-scale-binary", c.ScaleBinary)
	}
	if c.FaultInjection {
		args = append(args, "-fault-injection")
	}
	return args
}

// clusterLoad sums the request rates of the members that count as nodes
// (alive or suspect, see clusterSize): the cluster's queue depth as the
// auto-scaler sees it (it divides by the node count).
func (s *leaderScaler) clusterLoad(ctx context.Context) (float64, error) {
	return sumLoad(s.n.load.value(), s.n.cfg.Name, s.n.members(), func(addr string) (float64, error) {
		h, err := s.n.peerHealth(ctx, addr)
		return h.Load, err
	})
}

// sumLoad is own plus the load of every other member that counts as a
// node, asked of it with load. Members that do not answer make the sum
// partial (an error wrapping autoscale.ErrPartial): a lower bound, which
// still scales up if it is already above the threshold (a node too busy to
// answer in time must not stop the cluster from growing) and never down.
func sumLoad(own float64, self string, ms []memberInfo, load func(httpAddr string) (float64, error)) (float64, error) {
	total := own
	var errs []error
	for _, m := range ms {
		if m.Name == self || !up(m) || m.meta.HTTPAddr == "" {
			continue
		}
		l, err := load(m.meta.HTTPAddr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
			continue
		}
		total += l
	}
	if err := errors.Join(errs...); err != nil {
		return total, fmt.Errorf("dwnode: cluster load: %w: %w", autoscale.ErrPartial, err)
	}
	return total, nil
}

// clusterExecutor is the auto-scaler's Executor: the node count is
// clusterSize; scale-up starts processes; scale-down asks the youngest
// other alive members to leave.
type clusterExecutor struct{ s *leaderScaler }

var _ autoscale.Executor = (*clusterExecutor)(nil)

// alive are the members of ms that are alive: the candidates to leave.
func alive(ms []memberInfo) []memberInfo {
	var out []memberInfo
	for _, m := range ms {
		if m.State == swim.StateAlive {
			out = append(out, m)
		}
	}
	return out
}

// clusterSize is the node count the auto-scaler works with (Executor.Nodes
// includes nodes still starting): the members alive or suspect, plus the
// children this node started that are not in SWIM's list yet. A suspect is
// usually running and only slow to answer; leaving it out would add a node
// on every transient suspicion, to remove it again once refuted. A dead one
// stops counting when SWIM declares it so, as a Kubernetes pod counts until
// it is gone. A child in the list in any state is counted by its state.
func clusterSize(ms []memberInfo, children []string) int {
	n := 0
	listed := make(map[string]bool, len(ms))
	for _, m := range ms {
		listed[m.Name] = true
		if up(m) {
			n++
		}
	}
	for _, c := range children {
		if !listed[c] {
			n++
		}
	}
	return n
}

// up reports whether a member counts as a node: alive or suspect.
func up(m memberInfo) bool { return m.State == swim.StateAlive || m.State == swim.StateSuspect }

// size is clusterSize of ms and this node's children.
func (e *clusterExecutor) size(ms []memberInfo) int { return clusterSize(ms, e.s.children()) }

// children names the nodes this node started that are still running.
func (s *leaderScaler) children() []string {
	if s.procs == nil {
		return nil
	}
	var out []string
	for _, c := range s.procs.Running() {
		out = append(out, s.childPrefix()+"-"+strconv.Itoa(c.Index))
	}
	return out
}

func (e *clusterExecutor) Nodes(context.Context) (int, error) { return e.size(e.s.n.members()), nil }

func (e *clusterExecutor) ScaleUp(ctx context.Context, k int) (autoscale.Result, error) {
	before := e.size(e.s.n.members())
	r, err := e.s.procs.ScaleUp(ctx, k)
	r.Before, r.After = before, before+r.Changed
	return r, err
}

func (e *clusterExecutor) ScaleDown(ctx context.Context, k int) (autoscale.Result, error) {
	ms := e.s.n.members()
	before := e.size(ms)
	r := autoscale.Result{Before: before, After: before}
	if k < 1 {
		return r, autoscale.ErrInvalidRequest
	}
	var victims []memberInfo
	for _, m := range alive(ms) {
		if m.Name != e.s.n.cfg.Name && m.meta.HTTPAddr != "" {
			victims = append(victims, m)
		}
	}
	slices.SortFunc(victims, func(a, b memberInfo) int { // youngest first
		switch {
		case a.meta.Epoch > b.meta.Epoch:
			return -1
		case a.meta.Epoch < b.meta.Epoch:
			return 1
		}
		return 0
	})
	var errs []error
	for _, v := range victims[:min(k, len(victims))] {
		if err := e.s.n.askLeave(ctx, v.meta.HTTPAddr); err != nil {
			errs = append(errs, fmt.Errorf("ask %s to leave: %w", v.Name, err))
			continue
		}
		r.Changed++
		r.After--
		r.Nodes = append(r.Nodes, v.Name)
	}
	return r, errors.Join(errs...)
}
