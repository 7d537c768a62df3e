package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dwsdk/distributed/cmd/dwnode/internal/cluster"
	"github.com/dwsdk/distributed/gen/nodeapi"
)

// demo is the state of one run.
type demo struct {
	dir    string
	c      *cluster.Cluster
	cli    *cluster.Client
	status *status
	start  time.Time

	mu       sync.Mutex
	seen     map[string]nodeRef // every node ever seen, by name
	measured []measurement
}

// nodeRef is how the demo reaches a node.
type nodeRef struct {
	name, http string
	pid        uint32
}

type measurement struct {
	what string
	took time.Duration
}

func newDemo() (*demo, error) {
	dir, err := tempDir()
	if err != nil {
		return nil, err
	}
	d := &demo{dir: dir, cli: cluster.NewClient(token), seen: map[string]nodeRef{}, start: time.Now()}
	d.status = newStatus(d)
	return d, nil
}

// measure records a measured time and shows it as an event.
func (d *demo) measure(what string, took time.Duration) {
	d.mu.Lock()
	d.measured = append(d.measured, measurement{what, took})
	d.mu.Unlock()
	d.status.event("%s: %.2fs", what, took.Seconds())
}

// waitFor polls cond every 100 ms until it holds, the timeout passes or
// ctx ends.
func (d *demo) waitFor(ctx context.Context, what string, timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = cond(); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %v: %w", what, timeout, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last: %v)", what, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// members asks the first reachable known node for the member list, and
// remembers every node it names.
func (d *demo) members(ctx context.Context) ([]nodeapi.Member, error) {
	var errs []error
	for _, ref := range d.known() {
		ms, err := d.cli.Members(ctx, ref.http)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.mu.Lock()
		for _, m := range ms.Members {
			if m.HTTPAddr != "" {
				r := d.seen[m.Name]
				r.name, r.http = m.Name, m.HTTPAddr
				d.seen[m.Name] = r
			}
		}
		d.mu.Unlock()
		return ms.Members, nil
	}
	return nil, fmt.Errorf("no node answers: %w", errors.Join(errs...))
}

// known returns the nodes seen so far, demo-started ones first.
func (d *demo) known() []nodeRef {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		for _, p := range d.c.Running() {
			if _, ok := d.seen[p.Name]; !ok {
				d.seen[p.Name] = nodeRef{name: p.Name, http: p.Addrs.HTTPAddr}
			}
		}
	}
	var out []nodeRef
	for _, r := range d.seen {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b nodeRef) int { return strings.Compare(a.name, b.name) })
	return out
}

// notePid remembers a node's process id, so the demo can check at the end
// that the process is gone.
func (d *demo) notePid(name string, pid uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.seen[name]; ok && pid != 0 {
		r.pid = pid
		d.seen[name] = r
	}
}

// alive returns the members in state alive.
func (d *demo) alive(ctx context.Context) ([]nodeapi.Member, error) {
	ms, err := d.members(ctx)
	if err != nil {
		return nil, err
	}
	var out []nodeapi.Member
	for _, m := range ms {
		if m.State == "alive" {
			out = append(out, m)
		}
	}
	return out, nil
}

func (d *demo) aliveAtLeast(ctx context.Context, n int) error {
	a, err := d.alive(ctx)
	if err == nil && len(a) < n {
		err = fmt.Errorf("%d alive members", len(a))
	}
	return err
}

func (d *demo) aliveAtMost(ctx context.Context, n int) error {
	a, err := d.alive(ctx)
	if err == nil && len(a) > n {
		err = fmt.Errorf("%d alive members", len(a))
	}
	return err
}

// voters checks that the leader's configuration holds n voters.
func (d *demo) voters(ctx context.Context, n int) error {
	l, err := d.leader(ctx)
	if err != nil {
		return err
	}
	s, err := d.cli.Raft(ctx, l.http)
	if err != nil {
		return err
	}
	v := 0
	for _, p := range s.Peers {
		if p.Voter {
			v++
		}
	}
	if v != n {
		return fmt.Errorf("%d voters", v)
	}
	return nil
}

// leader returns the Raft leader every alive node agrees on, with its pid.
func (d *demo) leader(ctx context.Context) (nodeRef, error) {
	alive, err := d.alive(ctx)
	if err != nil {
		return nodeRef{}, err
	}
	leader := ""
	for _, m := range alive {
		s, err := d.cli.Raft(ctx, m.HTTPAddr)
		if err != nil {
			return nodeRef{}, err
		}
		if s.Leader == "" || (leader != "" && s.Leader != leader) {
			return nodeRef{}, fmt.Errorf("no agreed leader (%s sees %q)", m.Name, s.Leader)
		}
		leader = s.Leader
	}
	d.mu.Lock()
	ref, ok := d.seen[leader]
	d.mu.Unlock()
	if !ok {
		return nodeRef{}, fmt.Errorf("leader %q unknown", leader)
	}
	h, err := d.cli.Health(ctx, ref.http)
	if err != nil {
		return nodeRef{}, err
	}
	ref.pid = h.Pid
	d.notePid(ref.name, h.Pid)
	return ref, nil
}

// detected checks that no survivor still sees victim alive or suspect.
func (d *demo) detected(ctx context.Context, victim string) error {
	alive, err := d.alive(ctx)
	if err != nil {
		return err
	}
	for _, m := range alive {
		if m.Name == victim {
			continue
		}
		ms, err := d.cli.Members(ctx, m.HTTPAddr)
		if err != nil {
			return err
		}
		for _, o := range ms.Members {
			if o.Name == victim && (o.State == "alive" || o.State == "suspect") {
				return fmt.Errorf("%s sees %s %s", m.Name, victim, o.State)
			}
		}
	}
	return nil
}

// newLeader checks that the survivors agree on a leader other than victim.
func (d *demo) newLeader(ctx context.Context, victim string) error {
	l, err := d.leader(ctx)
	if err == nil && l.name == victim {
		err = errors.New("old leader still reported")
	}
	return err
}

// convergedRecords checks that every alive node has the same records
// digest and that no acknowledged, replicated update is missing.
func (d *demo) convergedRecords(ctx context.Context, l *load) error {
	alive, err := d.alive(ctx)
	if err != nil {
		return err
	}
	digest := ""
	for _, m := range alive {
		h, err := d.cli.Health(ctx, m.HTTPAddr)
		if err != nil {
			return err
		}
		if digest != "" && h.Digest != digest {
			return fmt.Errorf("%s differs", m.Name)
		}
		digest = h.Digest
	}
	return l.verify(ctx, alive[0].HTTPAddr)
}

// stopAll asks every node still up to leave, stops the processes the demo
// started, and checks that every process is gone.
func (d *demo) stopAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if d.c == nil {
		return nil
	}
	for _, r := range d.known() {
		if h, err := d.cli.Health(ctx, r.http); err == nil {
			d.notePid(r.name, h.Pid)
			d.cli.Leave(ctx, r.http)
		}
	}
	errs := []error{d.c.StopAll(10 * time.Second)}
	for _, r := range d.known() {
		if r.pid == 0 {
			continue
		}
		err := d.waitFor(ctx, "process "+r.name+" to exit", 15*time.Second, func() error {
			if running(int(r.pid)) {
				return fmt.Errorf("pid %d still running", r.pid)
			}
			return nil
		})
		if err != nil {
			syscall.Kill(int(r.pid), syscall.SIGKILL)
			errs = append(errs, err)
		}
	}
	d.cli.HTTP.CloseIdleConnections()
	return errors.Join(errs...)
}

// running reports whether pid is a live (not zombie) process.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// summary prints the measured times and the outcome.
func (d *demo) summary(runErr, stopErr error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Println()
	fmt.Println("== dwnode demo summary ==")
	for _, m := range d.measured {
		fmt.Printf("  %-82s %7.2fs\n", m.what, m.took.Seconds())
	}
	fmt.Printf("  %-82s %7.2fs\n", "total", time.Since(d.start).Seconds())
	procs, unknown := 0, 0
	for _, r := range d.seen {
		if r.pid != 0 {
			procs++
		} else {
			unknown++
		}
	}
	switch {
	case runErr != nil:
		fmt.Printf("FAILED: %v\n(node logs in %s)\n", runErr, d.dir)
	case stopErr != nil:
		fmt.Printf("FAILED to stop every process: %v\n", stopErr)
	default:
		fmt.Printf("OK: every step happened; all %d dwnode processes are gone", procs)
		if unknown > 0 {
			fmt.Printf(" (%d more left the cluster before their pid was seen)", unknown)
		}
		fmt.Println(".")
		os.RemoveAll(d.dir)
	}
}

// dumpReplicaMetrics writes every reachable node's replication metrics
// and member list next to its log, for a failed run.
func (d *demo) dumpReplicaMetrics() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, r := range d.known() {
		resp, err := d.cli.HTTP.Get("http://" + r.http + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "dwnode_") {
				lines = append(lines, l)
			}
		}
		if ms, err := d.cli.Members(ctx, r.http); err == nil {
			for _, m := range ms.Members {
				lines = append(lines, fmt.Sprintf("member %s %s", m.Name, m.State))
			}
		}
		os.WriteFile(filepath.Join(d.dir, r.name+".metrics"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
}
