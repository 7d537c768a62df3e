package autoscale

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"text/template"
	"time"
)

// ProcessConfig configures a Processes executor.
type ProcessConfig struct {
	// Command is a node's program and arguments. Each element is a
	// text/template executed with a NodeSpec: {{.Index}} (the node's number,
	// from 0, never reused), {{.Port}} and {{.Name}}.
	Command []string
	// Env is added to this process's environment for each node; its
	// elements are templates like Command's.
	Env []string
	// Dir is the nodes' working directory ("" is this process's).
	Dir string
	// BasePort gives node i the port BasePort+i; 0 picks a free loopback
	// port for each node.
	BasePort int
	// StopTimeout is how long a node has to exit after SIGTERM before it
	// gets SIGKILL (default 10 s).
	StopTimeout time.Duration
	// Stdout and Stderr receive the nodes' output (nil discards it).
	Stdout, Stderr io.Writer
	// OnExit, if set, is called once per node when its process has exited,
	// whether stopped or on its own, from the goroutine that waited for it.
	OnExit func(Exit)
	// StartGrace is how long a node must run before its exit no longer
	// counts as a failed start (default 10 s). After consecutive failed
	// starts, ScaleUp refuses with ErrStartBackoff for 1 s, doubling with
	// each one up to 5 min, as the cluster-autoscaler backs a node group
	// off after a failed scale-up; a node that outlives StartGrace, or
	// exits after it, ends the backoff.
	StartGrace time.Duration
	// Clock tells the time for StartGrace and the backoff (nil: the
	// system clock).
	Clock Clock
	// Logger receives node starts and stops (nil: slog.Default()).
	Logger *slog.Logger
}

// NodeSpec is what a command template sees.
type NodeSpec struct {
	Index int
	Port  int
	Name  string
}

// NodeInfo describes a running node.
type NodeInfo struct {
	NodeSpec
	PID int
}

// Exit describes a node whose process ended.
type Exit struct {
	NodeInfo
	// Stopped is true when the executor stopped it (scale-down or Close),
	// Killed when that took SIGKILL.
	Stopped, Killed bool
	// Err is the process's exit error (nil for exit status 0).
	Err error
}

// ErrClosed is returned by executors used after Close.
var ErrClosed = errors.New("autoscale: executor closed")

// ErrStartBackoff is returned by Processes.ScaleUp while it backs off after
// nodes that exited within StartGrace of starting.
var ErrStartBackoff = errors.New("autoscale: backing off after failed node starts")

// Processes is an Executor running each node as a local child process in its
// own process group. Scale-down stops the newest nodes first: SIGTERM, then
// SIGKILL after StopTimeout. A node that exits on its own stops counting.
// Close stops every node. Safe for concurrent use.
type Processes struct {
	cfg  ProcessConfig
	args []*template.Template
	env  []*template.Template
	log  *slog.Logger

	mu     sync.Mutex
	nodes  []*procNode // running, oldest first
	next   int
	closed bool
	wg     sync.WaitGroup // one per started process
	// failed counts the nodes in a row that exited within StartGrace of
	// starting, the last one at failedAt; no node starts before retryAt.
	failed            int
	failedAt, retryAt time.Time
}

type procNode struct {
	info    NodeInfo
	started time.Time
	cmd     *exec.Cmd
	done    chan struct{} // closed when Wait returned
	stopped bool          // set under Processes.mu before signalling
	killed  bool
}

// NewProcesses checks the templates (each must execute on a sample node)
// and returns the executor with no node running.
func NewProcesses(cfg ProcessConfig) (*Processes, error) {
	if len(cfg.Command) == 0 {
		return nil, fmt.Errorf("%w: process executor: empty command", ErrInvalidConfig)
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 10 * time.Second
	}
	if cfg.StartGrace <= 0 {
		cfg.StartGrace = 10 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	p := &Processes{cfg: cfg, log: cfg.Logger}
	if p.log == nil {
		p.log = slog.Default()
	}
	parse := func(field string, in []string) ([]*template.Template, error) {
		out := make([]*template.Template, len(in))
		for i, s := range in {
			t, err := template.New(fmt.Sprintf("%s[%d]", field, i)).Option("missingkey=error").Parse(s)
			if err != nil {
				return nil, fmt.Errorf("%w: process executor: %v", ErrInvalidConfig, err)
			}
			if err := t.Execute(io.Discard, NodeSpec{Name: "node-0"}); err != nil {
				return nil, fmt.Errorf("%w: process executor: %v", ErrInvalidConfig, err)
			}
			out[i] = t
		}
		return out, nil
	}
	var err error
	if p.args, err = parse("command", cfg.Command); err != nil {
		return nil, err
	}
	if p.env, err = parse("env", cfg.Env); err != nil {
		return nil, err
	}
	return p, nil
}

func render(ts []*template.Template, spec NodeSpec) ([]string, error) {
	out := make([]string, len(ts))
	var b bytes.Buffer
	for i, t := range ts {
		b.Reset()
		if err := t.Execute(&b, spec); err != nil {
			return nil, err
		}
		out[i] = b.String()
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ScaleUp starts n nodes. It stops at the first node that fails to start
// and reports the ones that did.
func (p *Processes) ScaleUp(ctx context.Context, n int) (Result, error) {
	if n < 1 {
		return Result{}, fmt.Errorf("%w: node count %d", ErrInvalidRequest, n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	res := Result{Before: p.running()}
	if err := p.backoff(); err != nil {
		res.After = res.Before
		return res, fmt.Errorf("process executor: %w", err)
	}
	var err error
	for range n {
		if p.closed {
			err = ErrClosed
			break
		}
		if err = ctx.Err(); err != nil {
			break
		}
		var node *procNode
		if node, err = p.start(); err != nil {
			break
		}
		res.Changed++
		res.Nodes = append(res.Nodes, node.info.Name)
	}
	res.After = p.running()
	if err != nil {
		return res, fmt.Errorf("process executor: started %d of %d nodes: %w", res.Changed, n, err)
	}
	return res, nil
}

// Backoff after failed starts: 1 s after the first, doubling up to 5 min.
const (
	startBackoffMin = time.Second
	startBackoffMax = 5 * time.Minute
)

// backoff returns ErrStartBackoff while starts back off, first ending the
// backoff if a node started since the last failure has outlived
// StartGrace; p.mu is held.
func (p *Processes) backoff() error {
	if p.failed == 0 {
		return nil
	}
	now := p.cfg.Clock.Now()
	for _, node := range p.nodes {
		if !node.stopped && !node.started.Before(p.failedAt) && now.Sub(node.started) >= p.cfg.StartGrace {
			p.failed = 0
			return nil
		}
	}
	if wait := p.retryAt.Sub(now); wait > 0 {
		return fmt.Errorf("%w: %d node(s) in a row exited within %v of starting; next start in %v",
			ErrStartBackoff, p.failed, p.cfg.StartGrace, wait)
	}
	return nil
}

// start launches one node; p.mu is held.
func (p *Processes) start() (*procNode, error) {
	spec := NodeSpec{Index: p.next, Name: fmt.Sprintf("node-%d", p.next)}
	spec.Port = p.cfg.BasePort + spec.Index
	if p.cfg.BasePort == 0 {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("pick a port for %s: %w", spec.Name, err)
		}
		spec.Port = port
	}
	args, err := render(p.args, spec)
	if err != nil {
		return nil, fmt.Errorf("command for %s: %w", spec.Name, err)
	}
	env, err := render(p.env, spec)
	if err != nil {
		return nil, fmt.Errorf("env for %s: %w", spec.Name, err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = p.cfg.Dir
	cmd.Stdout, cmd.Stderr = p.cfg.Stdout, p.cfg.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	p.next++
	node := &procNode{info: NodeInfo{NodeSpec: spec, PID: cmd.Process.Pid}, started: p.cfg.Clock.Now(), cmd: cmd, done: make(chan struct{})}
	p.nodes = append(p.nodes, node)
	p.wg.Add(1)
	go p.wait(node)
	p.log.Info("autoscale: node started", "node", spec.Name, "pid", node.info.PID, "port", spec.Port)
	return node, nil
}

// wait reaps a node's process and forgets it.
func (p *Processes) wait(node *procNode) {
	defer p.wg.Done()
	err := node.cmd.Wait()
	p.mu.Lock()
	for i, x := range p.nodes {
		if x == node {
			p.nodes = append(p.nodes[:i], p.nodes[i+1:]...)
			break
		}
	}
	exit := Exit{NodeInfo: node.info, Stopped: node.stopped, Killed: node.killed, Err: err}
	if !exit.Stopped {
		p.noteExit(node)
	}
	p.mu.Unlock()
	close(node.done)
	if !exit.Stopped {
		p.log.Warn("autoscale: node exited on its own", "node", node.info.Name, "pid", node.info.PID, "err", err)
	}
	if p.cfg.OnExit != nil {
		p.cfg.OnExit(exit)
	}
}

// noteExit counts a node that exited on its own within StartGrace of
// starting as a failed start and backs starts off; one that ran longer
// ends the backoff. p.mu is held.
func (p *Processes) noteExit(node *procNode) {
	now := p.cfg.Clock.Now()
	if now.Sub(node.started) >= p.cfg.StartGrace {
		p.failed = 0
		return
	}
	p.failed++
	p.failedAt = now
	p.retryAt = now.Add(min(startBackoffMin<<min(p.failed-1, 16), startBackoffMax))
}

// ScaleDown stops up to n nodes, newest first, and returns when they have
// exited. If ctx ends first, the remaining ones get SIGKILL at once.
func (p *Processes) ScaleDown(ctx context.Context, n int) (Result, error) {
	if n < 1 {
		return Result{}, fmt.Errorf("%w: node count %d", ErrInvalidRequest, n)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return Result{}, ErrClosed
	}
	res := Result{Before: p.running()}
	victims := p.pick(n)
	p.mu.Unlock()
	p.stop(ctx, victims)
	for _, v := range victims {
		res.Nodes = append(res.Nodes, v.info.Name)
	}
	res.Changed = len(victims)
	res.After, _ = p.Nodes(ctx)
	return res, nil
}

// pick marks the newest n running nodes stopped; p.mu is held.
func (p *Processes) pick(n int) []*procNode {
	var out []*procNode
	for i := len(p.nodes) - 1; i >= 0 && len(out) < n; i-- {
		if node := p.nodes[i]; !node.stopped {
			node.stopped = true
			out = append(out, node)
		}
	}
	return out
}

// stop signals the nodes' process groups: SIGTERM, then SIGKILL after the
// timeout (or when ctx ends), and waits until every one has exited.
func (p *Processes) stop(ctx context.Context, nodes []*procNode) {
	for _, node := range nodes {
		p.log.Info("autoscale: stopping node", "node", node.info.Name, "pid", node.info.PID)
		_ = syscall.Kill(-node.info.PID, syscall.SIGTERM)
	}
	timer := time.NewTimer(p.cfg.StopTimeout)
	defer timer.Stop()
	for _, node := range nodes {
		select {
		case <-node.done:
			continue
		case <-timer.C:
		case <-ctx.Done():
		}
		p.kill(nodes)
		break
	}
	for _, node := range nodes {
		<-node.done
	}
}

// kill sends SIGKILL to every node of nodes still running.
func (p *Processes) kill(nodes []*procNode) {
	for _, node := range nodes {
		select {
		case <-node.done:
			continue
		default:
		}
		p.mu.Lock()
		node.killed = true
		p.mu.Unlock()
		p.log.Warn("autoscale: node ignored SIGTERM, killing it", "node", node.info.Name, "pid", node.info.PID)
		_ = syscall.Kill(-node.info.PID, syscall.SIGKILL)
	}
}

// Nodes returns the number of running nodes that are not being stopped.
func (p *Processes) Nodes(context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running(), nil
}

// running counts the nodes not being stopped, as Nodes and every Result
// do; p.mu is held.
func (p *Processes) running() int {
	n := 0
	for _, node := range p.nodes {
		if !node.stopped {
			n++
		}
	}
	return n
}

// Running describes the running nodes, oldest first.
func (p *Processes) Running() []NodeInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]NodeInfo, 0, len(p.nodes))
	for _, node := range p.nodes {
		if !node.stopped {
			out = append(out, node.info)
		}
	}
	return out
}

// Close stops every node (SIGTERM, then SIGKILL after StopTimeout or when
// ctx ends) and waits for their processes and goroutines. Later calls fail
// with ErrClosed.
func (p *Processes) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	victims := p.pick(len(p.nodes))
	p.mu.Unlock()
	p.stop(ctx, victims)
	p.wg.Wait()
	return nil
}
