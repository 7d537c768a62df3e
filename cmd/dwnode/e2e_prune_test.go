package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// get fetches a path of a node's HTTP API.
func (e *e2e) get(node, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, "http://"+e.http(node)+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := e.cli.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s on %s: status %d: %s", path, node, resp.StatusCode, b)
	}
	return b, err
}

// metric reads one unlabelled metric from a node's /metrics.
func (e *e2e) metric(node, name string) (float64, error) {
	b, err := e.get(node, "/metrics")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("%s has no metric %s", node, name)
}

// namesReplica reports whether a record's CRDT state on node names a
// replica id of the node named dead.
func (e *e2e) namesReplica(node, key, dead string) (bool, error) {
	b, err := e.get(node, "/v1/records/tables/"+key+"?view=state")
	return bytes.Contains(b, []byte(`"`+dead+`@`)), err
}

// TestE2EDeadNodePruned: n3 is killed with SIGKILL and never returns. Once
// SWIM has reported it dead for -prune-after, the survivors prune its
// replica id: no record state on n1 or n2 names it any more, one survivor
// did the pruning, the pruning markers are forgotten again after
// -prune-marker-ttl (no tombstones left), and every write acknowledged as
// replicated, n3's included, is still counted exactly once.
func TestE2EDeadNodePruned(t *testing.T) {
	t0 := time.Now()
	e := startCluster(t, 3, "-prune-after", "1s", "-prune-marker-ttl", "1s")
	t.Logf("cluster up after %v", time.Since(t0).Round(time.Millisecond))
	w := newWrites()
	nodes := []string{"n1", "n2", "n3"}
	for i := range 30 {
		e.inc(w, nodes[i%3], recordKeys[i%4], int64(1+i%4))
	}
	for _, k := range recordKeys {
		require.Equal(t, w.acked[k], w.replicated[k], "a write on a healthy cluster was not replicated before its answer")
	}
	for _, node := range []string{"n1", "n2"} {
		named, err := e.namesReplica(node, "orders", "n3")
		require.NoError(t, err)
		require.True(t, named, "%s does not hold n3's writes under n3's replica id", node)
	}
	start := time.Now()
	t.Logf("writes done after %v", time.Since(t0).Round(time.Millisecond))
	e.c.Proc("n3").Kill()
	survivors := []string{"n1", "n2"}
	e.eventually("n3's replica id pruned everywhere and the markers forgotten", 40*time.Second, func() error {
		for _, node := range survivors {
			for _, k := range recordKeys {
				named, err := e.namesReplica(node, k, "n3")
				if err != nil {
					return err
				}
				if named {
					return fmt.Errorf("%s %s still names n3's replica id", node, k)
				}
			}
			for _, m := range []string{"dwnode_crdt_tombstones", "dwnode_replica_departed"} {
				v, err := e.metric(node, m)
				if err != nil {
					return err
				}
				if v != 0 {
					return fmt.Errorf("%s: %s = %v", node, m, v)
				}
			}
		}
		return nil
	})
	t.Logf("pruned and forgotten %v after the kill", time.Since(start).Round(time.Millisecond))
	var pruned float64
	for _, node := range survivors {
		v, err := e.metric(node, "dwnode_replica_pruned_total")
		require.NoError(t, err)
		pruned += v
	}
	require.Equal(t, 1.0, pruned, "exactly one survivor prunes the dead replica id")
	e.converged(recordKeys, func(node, key string, rows int64) error {
		if rows != w.replicated[key] {
			return fmt.Errorf("%s %s: rows %d, want %d (every replicated write, once)", node, key, rows, w.replicated[key])
		}
		return nil
	})
}

// TestE2EFencedAfterPrune: n3 is cut off, not killed, for longer than
// -prune-after, so the survivors prune its replica id. When the partition
// heals and n3 hears of that, it is fenced: it leaves and its process
// exits with status 1, to be started again under a new epoch, instead of
// writing on under an id the cluster has forgotten. The survivors keep
// every write acknowledged as replicated before the cut, n3's included.
func TestE2EFencedAfterPrune(t *testing.T) {
	e := startCluster(t, 3, "-prune-after", "1s")
	w := newWrites()
	nodes := []string{"n1", "n2", "n3"}
	for i := range 12 {
		e.inc(w, nodes[i%3], recordKeys[i%4], 1)
	}
	n3 := e.c.Proc("n3")
	require.NoError(t, e.cli.Sever(e.ctx, e.http("n3"), true))
	e.eventually("a survivor pruned n3's replica id", 40*time.Second, func() error {
		var pruned float64
		for _, node := range []string{"n1", "n2"} {
			v, err := e.metric(node, "dwnode_replica_pruned_total")
			if err != nil {
				return err
			}
			pruned += v
		}
		if pruned != 1 {
			return fmt.Errorf("%v prunings", pruned)
		}
		return nil
	})
	require.False(t, n3.Exited(), "n3 stopped while it was still cut off")
	require.NoError(t, e.cli.Sever(e.ctx, e.http("n3"), false))
	select {
	case <-n3.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("n3 was not fenced within 30 s of the heal")
	}
	var exit *exec.ExitError
	require.ErrorAs(t, n3.Err(), &exit, "n3 exited cleanly")
	require.Equal(t, 1, exit.ExitCode())
	log, err := os.ReadFile(filepath.Join(e.c.Dir, "n3.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "pruned this node's replica id")
	e.converged(recordKeys, func(node, key string, rows int64) error {
		if rows != w.replicated[key] {
			return fmt.Errorf("%s %s: rows %d, want %d (every replicated write, once)", node, key, rows, w.replicated[key])
		}
		return nil
	})
}
