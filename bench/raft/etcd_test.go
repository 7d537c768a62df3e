package raft

import (
	"testing"

	"go.uber.org/goleak"
)

// TestEtcdHarness drives the etcd harness through what the benchmarks do
// (elect, propose, kill the leader, fail over, propose again) and checks
// that closing the cluster stops every goroutine it started.
func TestEtcdHarness(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := startEtcd(t)
	defer c.close()
	l := c.waitLeader(t)
	for range 10 {
		if err := c.propose(command); err != nil {
			t.Fatal(err)
		}
	}
	c.kill(l)
	if l2 := c.waitLeader(t); l2 == l {
		t.Fatalf("killed server %d still leads", l)
	}
	for range 10 {
		if err := c.propose(command); err != nil {
			t.Fatal(err)
		}
	}
}
