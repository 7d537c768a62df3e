// Package raft benchmarks runtime/raft (impl=ours) side by side with
// hashicorp/raft v1.8.0 (impl=hashicorp) and etcd raft v3.7.0 (impl=etcd,
// driven by the raftexample-style harness in etcd_harness_test.go): 3
// servers on loopback TCP with in-memory stores and 128-byte commands.
// Throughput with 64 concurrent proposers, sequential commit latency (p50,
// p99), and the time to the first leader and to fail over after the leader
// is killed, all at a 150 ms election timeout.
package raft

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/tcp"
)

const (
	servers    = 3
	cmdSize    = 128
	proposers  = 64
	electionTO = 150 * time.Millisecond
)

var command = bytes.Repeat([]byte{'x'}, cmdSize)

// cluster is what the benchmarks drive, for either implementation.
type cluster interface {
	// waitLeader blocks until a server leads and returns its position; with
	// a nil tb it returns -1 when none appears in time.
	waitLeader(tb testing.TB) int
	// propose commits cmd through the leader and waits until it is applied.
	propose(cmd []byte) error
	// kill stops server i abruptly.
	kill(i int)
	close()
}

type impl struct {
	name  string
	start func(tb testing.TB) cluster
}

var impls = []impl{{"ours", startOurs}, {"hashicorp", startHashicorp}, {"etcd", startEtcd}}

// pollLeader waits until one of servers (nil when killed) leads, stores it
// in leader and returns its position; see cluster.waitLeader.
func pollLeader[S any](tb testing.TB, name string, servers []*S, leader *atomic.Pointer[S], leads func(*S) bool) int {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for i, s := range servers {
			if s != nil && leads(s) {
				leader.Store(s)
				return i
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
	if tb != nil {
		tb.Fatal(name + ": no leader")
	}
	return -1
}

// retryMoved proposes through the leader and again through the new one
// while propose reports that leadership moved.
func retryMoved[S any](c cluster, name string, leader *atomic.Pointer[S], propose func(*S) (moved bool, err error)) error {
	for range 100 {
		l := leader.Load()
		if l == nil {
			return errors.New(name + ": no leader")
		}
		moved, err := propose(l)
		if !moved {
			return err
		}
		c.waitLeader(nil)
	}
	return errors.New(name + ": leadership keeps moving")
}

// ---- ours ----

type countFSM struct{ n atomic.Uint64 }

func (f *countFSM) Apply(uint64, []byte) any { f.n.Add(1); return nil }
func (f *countFSM) Snapshot() (raft.FSMSnapshot, error) {
	return nopSnap{}, nil
}
func (f *countFSM) Restore(io.Reader) error { return nil }

type nopSnap struct{}

func (nopSnap) Persist(io.Writer) error { return nil }
func (nopSnap) Release()                {}

type oursCluster struct {
	nodes  []*raft.Node
	leader atomic.Pointer[raft.Node]
}

func startOurs(tb testing.TB) cluster {
	ctx := context.Background()
	c := &oursCluster{}
	var conf raftwire.Configuration
	trs := make([]*tcp.Transport, servers)
	for i := range servers {
		cfg := tcp.DefaultConfig()
		cfg.ID = fmt.Sprintf("n%d", i)
		cfg.Logger = slog.New(slog.DiscardHandler)
		tr, err := tcp.New(ctx, cfg)
		if err != nil {
			tb.Fatal(err)
		}
		trs[i] = tr
		conf.Servers = append(conf.Servers, raftwire.Server{ID: cfg.ID, Address: tr.LocalAddr()})
	}
	for i := range servers {
		cfg := raft.DefaultConfig()
		cfg.LocalID = fmt.Sprintf("n%d", i)
		cfg.ElectionTimeoutMin = electionTO
		cfg.ElectionTimeoutMax = 2 * electionTO
		cfg.HeartbeatInterval = electionTO / 10
		cfg.Logger = slog.New(slog.DiscardHandler)
		n, err := raft.NewNode(cfg, raft.Deps{
			FSM: &countFSM{}, Logs: raft.NewMemLogStore(), Stable: raft.NewMemStableStore(),
			Snapshots: raft.NewMemSnapshotStore(), Transport: trs[i],
		})
		if err != nil {
			tb.Fatal(err)
		}
		if err := n.Bootstrap(ctx, conf); err != nil {
			tb.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
	}
	return c
}

func (c *oursCluster) waitLeader(tb testing.TB) int {
	return pollLeader(tb, "ours", c.nodes, &c.leader, func(n *raft.Node) bool { return n.Role() == raft.Leader })
}

func (c *oursCluster) propose(cmd []byte) error {
	return retryMoved(c, "ours", &c.leader, func(l *raft.Node) (bool, error) {
		_, err := l.Propose(context.Background(), cmd)
		return errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost), err
	})
}

func (c *oursCluster) kill(i int) {
	c.nodes[i].Close()
	c.nodes[i] = nil
}

func (c *oursCluster) close() {
	if os.Getenv("RAFT_BENCH_DEBUG") != "" {
		for _, n := range c.nodes {
			if n != nil {
				fmt.Fprintf(os.Stderr, "%s %+v\n", n.ID(), n.Metrics())
			}
		}
	}
	for _, n := range c.nodes {
		if n != nil {
			n.Close()
		}
	}
}

// ---- hashicorp/raft ----

type hcFSM struct{ n atomic.Uint64 }

func (f *hcFSM) Apply(*hraft.Log) any                 { f.n.Add(1); return nil }
func (f *hcFSM) Snapshot() (hraft.FSMSnapshot, error) { return hcSnap{}, nil }
func (f *hcFSM) Restore(rc io.ReadCloser) error       { return rc.Close() }
func (hcSnap) Persist(s hraft.SnapshotSink) error     { return s.Close() }
func (hcSnap) Release()                               {}

type hcSnap struct{}

type hcCluster struct {
	rafts  []*hraft.Raft
	trs    []*hraft.NetworkTransport
	leader atomic.Pointer[hraft.Raft]
}

func startHashicorp(tb testing.TB) cluster {
	c := &hcCluster{}
	var conf hraft.Configuration
	for i := range servers {
		tr, err := hraft.NewTCPTransport("127.0.0.1:0", nil, 3, 10*time.Second, io.Discard)
		if err != nil {
			tb.Fatal(err)
		}
		c.trs = append(c.trs, tr)
		conf.Servers = append(conf.Servers, hraft.Server{ID: hraft.ServerID(fmt.Sprintf("n%d", i)), Address: tr.LocalAddr()})
	}
	for i := range servers {
		cfg := hraft.DefaultConfig()
		cfg.LocalID = hraft.ServerID(fmt.Sprintf("n%d", i))
		cfg.HeartbeatTimeout = electionTO
		cfg.ElectionTimeout = electionTO
		cfg.LeaderLeaseTimeout = electionTO
		cfg.LogOutput = io.Discard
		cfg.LogLevel = "OFF"
		logs, snaps := hraft.NewInmemStore(), hraft.NewInmemSnapshotStore()
		if err := hraft.BootstrapCluster(cfg, logs, logs, snaps, c.trs[i], conf); err != nil {
			tb.Fatal(err)
		}
		r, err := hraft.NewRaft(cfg, &hcFSM{}, logs, logs, snaps, c.trs[i])
		if err != nil {
			tb.Fatal(err)
		}
		c.rafts = append(c.rafts, r)
	}
	return c
}

func (c *hcCluster) waitLeader(tb testing.TB) int {
	return pollLeader(tb, "hashicorp", c.rafts, &c.leader, func(r *hraft.Raft) bool { return r.State() == hraft.Leader })
}

func (c *hcCluster) propose(cmd []byte) error {
	return retryMoved(c, "hashicorp", &c.leader, func(l *hraft.Raft) (bool, error) {
		err := l.Apply(cmd, 0).Error()
		return errors.Is(err, hraft.ErrNotLeader) || errors.Is(err, hraft.ErrLeadershipLost), err
	})
}

func (c *hcCluster) kill(i int) {
	c.rafts[i].Shutdown().Error()
	c.trs[i].Close()
	c.rafts[i] = nil
}

func (c *hcCluster) close() {
	for i, r := range c.rafts {
		if r != nil {
			r.Shutdown().Error()
			c.trs[i].Close()
		}
	}
}

// ---- benchmarks ----

// BenchmarkThroughput: 64 goroutines propose concurrently; ns/op is the
// inverse of the throughput, also reported as proposals/s.
func BenchmarkThroughput(b *testing.B) {
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) {
			c := im.start(b)
			defer c.close()
			c.waitLeader(b)
			var next atomic.Int64
			var wg sync.WaitGroup
			var failed atomic.Int64
			var firstErr atomic.Pointer[error]
			b.ResetTimer()
			start := time.Now()
			for range proposers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if err := c.propose(command); err != nil {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, &err)
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d proposals failed, first: %v", failed.Load(), *firstErr.Load())
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "proposals/s")
		})
	}
}

// BenchmarkCommitLatency: one proposal at a time; reports the p50 and p99
// of the time from proposing to applied on the leader.
func BenchmarkCommitLatency(b *testing.B) {
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) {
			c := im.start(b)
			defer c.close()
			c.waitLeader(b)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if err := c.propose(command); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkElection: each iteration starts a fresh cluster, measures the
// time until the first leader, kills it, and measures the time until the
// survivors elect a new one (150 ms election timeout for all).
func BenchmarkElection(b *testing.B) {
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) {
			var first, failover time.Duration
			for range b.N {
				t0 := time.Now()
				c := im.start(b)
				l := c.waitLeader(b)
				first += time.Since(t0)
				if err := c.propose(command); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				c.kill(l)
				c.waitLeader(b)
				failover += time.Since(t1)
				c.close()
			}
			b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-leader-ms")
			b.ReportMetric(float64(failover.Milliseconds())/float64(b.N), "failover-ms")
		})
	}
}
