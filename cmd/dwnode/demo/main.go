// Command demo is `make demo`: it builds dwnode, starts a 3-node cluster on
// loopback and shows every runtime doing its job on real processes:
//
//  1. load drives the auto-scaler (running on the Raft leader) to start
//     more dwnode processes;
//  2. the Raft leader is killed with SIGKILL: SWIM detects the failure,
//     Raft elects a new leader (whose auto-scaler takes over), and CRDT
//     records written on every node keep converging;
//  3. the load stops: the records converge to equal digests and the
//     auto-scaler removes nodes one at a time down to the minimum.
//
// A status table is shown while it runs, a summary with measured times at
// the end; every process started is stopped. It exits 0 when every step
// happened, 1 otherwise, and takes about a minute (under 3).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dwsdk/distributed/cmd/dwnode/internal/cluster"
)

// Demo settings: a small cluster that reacts quickly.
const (
	token      = "demo-token"
	minNodes   = 3
	maxNodes   = 5
	loadRate   = 300 // requests per second over the cluster
	queueUp    = 40  // requests/s per node above which the scaler adds nodes
	queueDown  = 8   // ... below which it removes one
	totalLimit = 170 * time.Second
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, totalLimit)
	defer cancel()
	d, err := newDemo()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	err = d.script(ctx)
	d.status.stop()
	if err != nil {
		d.dumpReplicaMetrics()
	}
	stopErr := d.stopAll()
	d.summary(err, stopErr)
	if err != nil || stopErr != nil {
		return 1
	}
	return 0
}

// script runs the demo's steps in order.
func (d *demo) script(ctx context.Context) error {
	d.status.phase("building dwnode")
	bin, err := cluster.Build(ctx, d.dir)
	if err != nil {
		return err
	}
	d.c = cluster.New(bin, d.dir, token,
		"-autoscale", "-scale-min", itoa(minNodes), "-scale-max", itoa(maxNodes),
		"-scale-interval", "2s", "-scale-cooldown", "6s",
		"-scale-queue-up", itoa(queueUp), "-scale-queue-down", itoa(queueDown),
		"-scale-resources=false", "-scale-stop-timeout", "5s",
		"-replica-tick", "20ms", "-raft-election", "300ms", "-shutdown-timeout", "8s")
	d.status.start(ctx)

	d.status.phase("starting a 3-node cluster")
	t0 := time.Now()
	first, err := d.c.Start(ctx, "n1", true, nil)
	if err != nil {
		return err
	}
	for _, name := range []string{"n2", "n3"} {
		if _, err := d.c.Start(ctx, name, false, []string{first.Addrs.Addr}); err != nil {
			return err
		}
	}
	if err := d.waitFor(ctx, "3 Raft voters", 30*time.Second, func() error { return d.voters(ctx, 3) }); err != nil {
		return err
	}
	d.measure("cluster of 3 up (SWIM joined, Raft leader elected)", time.Since(t0))

	d.status.phase(fmt.Sprintf("load: %d requests/s of record updates and KV writes", loadRate))
	load := d.startLoad(ctx)
	t1 := time.Now()
	if err := d.waitFor(ctx, "scale-up", 60*time.Second, func() error { return d.aliveAtLeast(ctx, minNodes+1) }); err != nil {
		return err
	}
	d.measure("auto-scaler added a node under load", time.Since(t1))
	if err := d.waitFor(ctx, "scale-up to the maximum", 60*time.Second, func() error { return d.aliveAtLeast(ctx, maxNodes) }); err != nil {
		return err
	}
	d.measure(fmt.Sprintf("cluster at its maximum of %d nodes", maxNodes), time.Since(t1))

	// A node the scaler has just started is alive in SWIM before its
	// first AppendEntries tells it who leads: wait until every alive node
	// names the same leader.
	var victim nodeRef
	if err := d.waitFor(ctx, "agreed leader", 30*time.Second, func() (err error) {
		victim, err = d.leader(ctx)
		return err
	}); err != nil {
		return err
	}
	d.status.phase("SIGKILL of the Raft leader " + victim.name)
	t2 := time.Now()
	if err := syscall.Kill(int(victim.pid), syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s (pid %d): %w", victim.name, victim.pid, err)
	}
	d.status.event("killed %s (pid %d) with SIGKILL", victim.name, victim.pid)
	detected := make(chan time.Duration, 1)
	go func() {
		if d.waitFor(ctx, "SWIM detection", 30*time.Second, func() error { return d.detected(ctx, victim.name) }) == nil {
			detected <- time.Since(t2)
		}
		close(detected)
	}()
	if err := d.waitFor(ctx, "Raft fail-over", 30*time.Second, func() error { return d.newLeader(ctx, victim.name) }); err != nil {
		return err
	}
	d.measure("Raft elected a new leader", time.Since(t2))
	dt, ok := <-detected
	if !ok {
		return errors.New("SWIM did not detect the killed leader")
	}
	d.measure("SWIM: every survivor saw the killed node fail", dt)
	if err := d.waitFor(ctx, "auto-scaler on the new leader", 40*time.Second, func() error { return d.aliveAtLeast(ctx, maxNodes) }); err != nil {
		return err
	}
	d.measure("new leader's auto-scaler replaced the lost node", time.Since(t2))

	d.status.phase("load stops: records converge, the cluster scales down")
	load.stop()
	t3 := time.Now()
	if err := d.waitFor(ctx, "records converged", 30*time.Second, func() error { return d.convergedRecords(ctx, load) }); err != nil {
		return err
	}
	d.measure("CRDT records converged on every node (equal digests, no acknowledged update lost)", time.Since(t3))
	if err := d.waitFor(ctx, "scale-down", 90*time.Second, func() error { return d.aliveAtMost(ctx, minNodes) }); err != nil {
		return err
	}
	d.measure(fmt.Sprintf("auto-scaler scaled down to %d nodes, one at a time", minNodes), time.Since(t3))
	d.status.phase("done")
	return nil
}

func itoa(i int) string { return fmt.Sprint(i) }

// tempDir makes the demo's working directory.
func tempDir() (string, error) {
	return os.MkdirTemp("", "dwnode-demo-")
}
