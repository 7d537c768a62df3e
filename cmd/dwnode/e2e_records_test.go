package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/nodeapi"
)

// writes tracks record increments: what was acknowledged (and whether
// replicated to another node before the answer) and what was attempted.
type writes struct {
	acked, replicated, attempted map[string]int64
}

func newWrites() *writes {
	return &writes{acked: map[string]int64{}, replicated: map[string]int64{}, attempted: map[string]int64{}}
}

// inc adds by to the rows of tables/key through node; it reports whether
// the write was acknowledged.
func (e *e2e) inc(w *writes, node, key string, by int64) bool {
	e.t.Helper()
	w.attempted[key] += by
	_, repl, err := e.cli.Update(e.ctx, e.http(node), "tables", key,
		nodeapi.RecordOp{Op: "inc", Field: "row_count", By: by},
		nodeapi.RecordOp{Op: "add", Field: "tags", Value: node})
	if err != nil {
		return false
	}
	w.acked[key] += by
	if repl {
		w.replicated[key] += by
	}
	return true
}

// rows reads tables/key on node.
func (e *e2e) rows(node, key string) (int64, error) {
	b, err := e.cli.Record(e.ctx, e.http(node), "tables", key)
	if err != nil {
		return 0, err
	}
	var v struct {
		Rows int64 `json:"row_count"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return 0, err
	}
	return v.Rows, nil
}

// converged waits until every running node holds the same records digest
// and check passes for every key on every running node.
func (e *e2e) converged(keys []string, check func(node, key string, rows int64) error) {
	e.t.Helper()
	e.eventually("records converged", 30*time.Second, func() error {
		digest := ""
		for _, p := range e.c.Running() {
			h, err := e.cli.Health(e.ctx, p.Addrs.HTTPAddr)
			if err != nil {
				return err
			}
			if digest != "" && h.Digest != digest {
				return fmt.Errorf("%s has digest %s…, others %s…", p.Name, h.Digest[:8], digest[:8])
			}
			digest = h.Digest
			for _, k := range keys {
				r, err := e.rows(p.Name, k)
				if err != nil {
					return fmt.Errorf("%s %s: %w", p.Name, k, err)
				}
				if err := check(p.Name, k, r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

var recordKeys = []string{"orders", "customers", "lineitems", "parts"}

// TestE2ERecordsConvergeAfterKillAndRestart: records updated on every
// node converge after a node is killed with SIGKILL and restarted from its
// data directory; no acknowledged write is lost, and nothing is counted
// twice. Right before the kill, n3 is cut off and acknowledges writes no
// peer received (X-Dwnode-Replicated: false); they come back from n3's CRDT
// log when it restarts, and reach every node.
func TestE2ERecordsConvergeAfterKillAndRestart(t *testing.T) {
	e := startCluster(t, 3)
	w := newWrites()
	nodes := []string{"n1", "n2", "n3"}
	for i := range 60 {
		e.inc(w, nodes[i%3], recordKeys[i%4], int64(1+i%5))
	}
	require.NoError(t, e.cli.Sever(e.ctx, e.http("n3"), true))
	const lonely = "n3-only"
	acked, replicated := e.incConcurrently("n3", lonely, 24)
	require.NotZero(t, acked, "n3 acknowledged no write while cut off")
	require.Zero(t, replicated, "a write reached a peer although n3 was cut off")
	w.acked[lonely], w.attempted[lonely] = acked, 24
	t.Log("killing n3 right after it acknowledged writes no peer has")
	e.c.Proc("n3").Kill()
	for i := range 40 {
		e.inc(w, nodes[i%2], recordKeys[i%4], int64(1+i%3))
	}
	_, err := e.c.Start(e.ctx, "n3", false, []string{e.c.Proc("n1").Addrs.Addr})
	require.NoError(t, err)
	// Only n3's log holds these writes: the peers never received them.
	rows, err := e.rows("n3", lonely)
	require.NoError(t, err)
	require.Equal(t, acked, rows, "n3 lost writes it acknowledged before SIGKILL")
	for i := range 40 {
		e.inc(w, nodes[i%3], recordKeys[i%4], 2)
	}
	e.converged(append(recordKeys, lonely), func(node, key string, rows int64) error {
		if rows < w.acked[key] || rows > w.attempted[key] {
			return fmt.Errorf("%s %s: rows %d, want between %d (acknowledged) and %d (attempted)",
				node, key, rows, w.acked[key], w.attempted[key])
		}
		return nil
	})
	for _, k := range recordKeys {
		require.Equal(t, w.acked[k], w.replicated[k], "a write on a healthy cluster was not replicated before its answer")
	}
}

// incConcurrently sends n increments by 1 of tables/key to node at once (so
// they share the node's log fsyncs) and returns how many were acknowledged
// and how many of those were replicated before the answer.
func (e *e2e) incConcurrently(node, key string, n int) (acked, replicated int64) {
	e.t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, repl, err := e.cli.Update(e.ctx, e.http(node), "tables", key,
				nodeapi.RecordOp{Op: "inc", Field: "row_count", By: 1})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				acked++
				if repl {
					replicated++
				}
			}
		}()
	}
	wg.Wait()
	return acked, replicated
}

// TestE2ERecordsConvergeAfterPartitionHeals cuts one node off, keeps
// writing on both sides (CRDT writes stay available), heals the partition
// and requires every acknowledged write on every node.
//
// It also sends deltas too large for SWIM broadcasts (-replica-stream-threshold,
// 1024 bytes by default): on the healthy cluster and from n3 after the heal,
// they travel over the TCP anti-entropy stream.
func TestE2ERecordsConvergeAfterPartitionHeals(t *testing.T) {
	e := startCluster(t, 3)
	w := newWrites()
	nodes := []string{"n1", "n2", "n3"}
	for i := range 30 {
		e.inc(w, nodes[i%3], recordKeys[i%4], 1)
	}
	_, repl, err := e.cli.Update(e.ctx, e.http("n1"), "tables", "wide", bigTags("n1")...)
	require.NoError(t, err)
	require.True(t, repl, "a large delta was not acknowledged by a peer")
	sent, err := e.metric("n1", "dwnode_replica_stream_sent_total")
	require.NoError(t, err)
	require.Positive(t, sent, "the large delta did not take the stream")
	recv2, err := e.metric("n2", "dwnode_replica_stream_received_total")
	require.NoError(t, err)
	recv3, err := e.metric("n3", "dwnode_replica_stream_received_total")
	require.NoError(t, err)
	require.Positive(t, recv2+recv3, "no peer received the large delta on the stream")
	require.NoError(t, e.cli.Sever(e.ctx, e.http("n3"), true))
	_, repl, err = e.cli.Update(e.ctx, e.http("n3"), "tables", "wide", bigTags("n3")...)
	require.NoError(t, err)
	require.False(t, repl, "n3 is cut off")
	for i := range 40 {
		node := nodes[i%2]
		if i%4 == 3 {
			node = "n3" // every write on n3 waits out the replication timeout
		}
		require.True(t, e.inc(w, node, recordKeys[i%4], 3), "a record write failed during the partition")
	}
	// n3's writes cannot reach anyone while it is cut off.
	r3, err := e.rows("n3", "orders")
	require.NoError(t, err)
	r1, err := e.rows("n1", "orders")
	require.NoError(t, err)
	require.NotEqual(t, r1, r3, "the partition did not separate the nodes")
	require.NoError(t, e.cli.Sever(e.ctx, e.http("n3"), false))
	e.converged(recordKeys, func(node, key string, rows int64) error {
		if rows != w.acked[key] {
			return fmt.Errorf("%s %s: rows %d, want %d", node, key, rows, w.acked[key])
		}
		return nil
	})
	for _, node := range nodes {
		b, err := e.cli.Record(e.ctx, e.http(node), "tables", "wide")
		require.NoError(t, err)
		var v struct {
			Tags []string `json:"tags"`
		}
		require.NoError(t, json.Unmarshal(b, &v))
		require.Len(t, v.Tags, 2*len(bigTags("x")), "%s lacks tags of the large deltas", node)
	}
}

// bigTags returns ops adding 40 tags of 48 bytes, prefixed by node: one
// delta of about 2 KiB.
func bigTags(node string) []nodeapi.RecordOp {
	var ops []nodeapi.RecordOp
	for i := range 40 {
		ops = append(ops, nodeapi.RecordOp{Op: "add", Field: "tags", Value: fmt.Sprintf("%s-%02d-%s", node, i, strings.Repeat("x", 40))})
	}
	return ops
}
