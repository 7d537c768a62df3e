// Package cluster starts and drives dwnode processes on loopback: the
// end-to-end tests and the demo share it. Every process runs in its own
// directory under Cluster.Dir, logs to NAME.log there, binds port 0 and
// reports its addresses through an address file.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
)

// Build compiles dwnode into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "dwnode")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/dwsdk/distributed/cmd/dwnode")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("cluster: build dwnode: %w", err)
	}
	return bin, nil
}

// Cluster is a set of dwnode processes started from one binary.
type Cluster struct {
	Bin   string   // dwnode binary
	Dir   string   // working directory: data, logs, address files
	Token string   // bearer token every node requires on writes
	Args  []string // extra flags for every node

	mu    sync.Mutex
	procs map[string]*Proc
}

// Proc is one started dwnode process.
type Proc struct {
	Name  string
	Addrs nodeapi.Member // bound addresses, from the address file
	cmd   *exec.Cmd
	done  chan struct{}
	err   error
}

// New returns an empty cluster.
func New(bin, dir, token string, args ...string) *Cluster {
	return &Cluster{Bin: bin, Dir: dir, Token: token, Args: args, procs: map[string]*Proc{}}
}

// Start runs node name (bootstrapping Raft when bootstrap is set, joining
// the SWIM addresses in join) and waits until it serves. A node restarted
// under the same name reuses its data directory.
func (c *Cluster) Start(ctx context.Context, name string, bootstrap bool, join []string, extra ...string) (*Proc, error) {
	dataDir := filepath.Join(c.Dir, name)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	addrFile := filepath.Join(c.Dir, name+".addr")
	os.Remove(addrFile)
	args := []string{"-name", name, "-data", dataDir, "-addr-file", addrFile,
		"-swim-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0"}
	if bootstrap {
		args = append(args, "-bootstrap")
	}
	if len(join) > 0 {
		j := ""
		for i, s := range join {
			if i > 0 {
				j += ","
			}
			j += s
		}
		args = append(args, "-join", j)
	}
	if c.Token != "" {
		args = append(args, "-token", c.Token)
	}
	args = append(append(args, c.Args...), extra...)
	logf, err := os.OpenFile(filepath.Join(c.Dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.Bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "DWNODE_TOKEN="+c.Token)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("cluster: start %s: %w", name, err)
	}
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs[name] = p
	c.mu.Unlock()
	if err := p.waitAddrs(ctx, addrFile); err != nil {
		p.Kill()
		return nil, fmt.Errorf("cluster: %s did not come up (see %s): %w", name, filepath.Join(c.Dir, name+".log"), err)
	}
	return p, nil
}

// waitAddrs waits for the address file the node writes once it serves.
func (p *Proc) waitAddrs(ctx context.Context, file string) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(file); err == nil {
			return p.Addrs.UnmarshalJSON(b)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("exited: %v", p.err)
		case <-t.C:
		}
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM (a graceful shutdown) and waits up to timeout before
// killing the process. It returns the exit error, nil for exit status 0.
func (p *Proc) Stop(timeout time.Duration) error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("cluster: %s ignored SIGTERM for %v", p.Name, timeout)
	}
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the process's exit error once Done is closed: nil for exit
// status 0, an *exec.ExitError otherwise.
func (p *Proc) Err() error {
	<-p.done
	return p.err
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Proc returns the process started last under name.
func (c *Cluster) Proc(name string) *Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[name]
}

// Running returns the processes still running, by name.
func (c *Cluster) Running() []*Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Proc
	for _, p := range c.procs {
		if !p.Exited() {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StopAll stops every running process gracefully, killing those that do not
// stop within timeout, and returns the errors of unclean exits.
func (c *Cluster) StopAll(timeout time.Duration) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, p := range c.Running() {
		wg.Go(func() {
			if err := p.Stop(timeout); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", p.Name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
