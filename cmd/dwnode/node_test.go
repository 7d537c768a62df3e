package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dwsdk/distributed/cmd/dwnode/internal/cluster"
	"github.com/dwsdk/distributed/gen/nodeapi"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startLocal runs one bootstrapped node in this process on loopback.
func startLocal(t *testing.T) *Node {
	t.Helper()
	cfg, err := parseConfig([]string{"-name", "solo", "-bootstrap", "-data", t.TempDir(), "-token", "tok",
		"-swim-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0",
		"-replica-tick", "10ms"}, func(string) string { return "" })
	require.NoError(t, err)
	n, err := Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, n.Shutdown(ctx))
	})
	return n
}

// TestNodeAPI exercises the HTTP API of a single in-process node: the
// happy paths and every kind of bad request, each answered with a 4xx and a
// JSON error from the generated codec.
func TestNodeAPI(t *testing.T) {
	n := startLocal(t)
	addr := n.Addrs().HTTP
	cli := cluster.NewClient("tok")
	defer cli.HTTP.CloseIdleConnections()
	ctx := context.Background()
	require.Eventually(t, n.kv.isLeader, 10*time.Second, 10*time.Millisecond)

	p, err := cli.KVPut(ctx, addr, "greeting", "hello")
	require.NoError(t, err)
	require.Equal(t, "hello", p.Value)
	p, err = cli.KVGet(ctx, addr, "greeting")
	require.NoError(t, err)
	require.Equal(t, nodeapi.KVPair{Key: "greeting", Value: "hello", Found: true, Index: p.Index}, p)

	rec, repl, err := cli.Update(ctx, addr, "tables", "orders",
		nodeapi.RecordOp{Op: "inc", Field: "row_count", By: 5},
		nodeapi.RecordOp{Op: "add", Field: "tags", Value: "hot"},
		nodeapi.RecordOp{Op: "add", Field: "tags", Value: "cold"},
		nodeapi.RecordOp{Op: "remove", Field: "tags", Value: "cold"},
		nodeapi.RecordOp{Op: "set", Field: "owner", Value: "ann"},
		nodeapi.RecordOp{Op: "inc", Field: "partitions", Key: "2026-11", By: 3},
		nodeapi.RecordOp{Op: "dec", Field: "partitions", Key: "2026-11", By: 1},
		nodeapi.RecordOp{Op: "inc", Field: "partitions", Key: "2026-10", By: 1},
		nodeapi.RecordOp{Op: "delete", Field: "partitions", Key: "2026-10"})
	require.NoError(t, err)
	require.True(t, repl, "a node without peers has nothing to wait for")
	require.JSONEq(t, `{"row_count":5,"tags":["hot"],"owner":"ann","allowed_readers":[],"schema_version":[],
		"partitions":{"2026-11":{"row_count":2,"size_bytes":0,"leader":"","replicas":[]}}}`, string(rec))

	rec, _, err = cli.Update(ctx, addr, "nodes", "solo",
		nodeapi.RecordOp{Op: "inc", Field: "queries_served", By: 7},
		nodeapi.RecordOp{Op: "set", Field: "healthy", Value: "true"},
		nodeapi.RecordOp{Op: "set", Field: "status", Value: "serving"})
	require.NoError(t, err)
	require.JSONEq(t, `{"queries_served":7,"bytes_scanned":0,"active_sessions":0,"status":"serving","healthy":true}`, string(rec))
	resp, err := cli.HTTP.Get("http://" + addr + "/v1/records/tables/orders?view=state")
	require.NoError(t, err)
	state, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(state), `"row_count":{"p":{"entries":{`, "the generated codec's CRDT state")

	h, err := cli.Health(ctx, addr)
	require.NoError(t, err)
	require.Equal(t, "ok", h.Status)
	require.Equal(t, "leader", h.RaftRole)
	require.Equal(t, uint32(2), h.Records)
	require.Len(t, h.Digest, 64)

	for _, tc := range []struct {
		name, method, path, body, token string
		code                            int
		want                            string
	}{
		{"no token", "PUT", "/v1/kv/a", `{"value":"x"}`, "", 401, "Authorization: Bearer"},
		{"wrong token", "POST", "/v1/records/tables/a", `{"ops":[]}`, "nope", 401, "Authorization: Bearer"},
		{"bad json", "PUT", "/v1/kv/a", `{"value":`, "tok", 400, "KVWrite"},
		{"empty body", "PUT", "/v1/kv/a", ``, "tok", 400, "empty body"},
		{"misspelt field", "PUT", "/v1/kv/a", `{"valeu":"x"}`, "tok", 400, "unknown field"},
		{"null body", "PUT", "/v1/kv/a", `null`, "tok", 400, "want a JSON object"},
		{"unknown op field", "POST", "/v1/records/tables/a", `{"ops":[{"op":"set","field":"owner","valeu":"ann"}]}`, "tok", 400, "unknown field"},
		{"unknown record type", "POST", "/v1/records/nope/a", `{"ops":[{"op":"inc","field":"row_count","by":1}]}`, "tok", 404, `no record type \"nope\"`},
		{"no ops", "POST", "/v1/records/tables/a", `{"ops":[]}`, "tok", 400, "no ops"},
		{"bad op", "POST", "/v1/records/tables/a", `{"ops":[{"op":"mul","field":"row_count","by":2}]}`, "tok", 400, "row_count takes inc, dec"},
		{"bad field", "POST", "/v1/records/tables/a", `{"ops":[{"op":"set","field":"colour","value":"x"}]}`, "tok", 400, "no such field"},
		{"negative by", "POST", "/v1/records/tables/a", `{"ops":[{"op":"inc","field":"row_count","by":-2}]}`, "tok", 400, "by must be positive"},
		{"bad value", "POST", "/v1/records/nodes/a", `{"ops":[{"op":"set","field":"healthy","value":"perhaps"}]}`, "tok", 400, "not a boolean"},
		{"key on an unkeyed field", "POST", "/v1/records/tables/a", `{"ops":[{"op":"inc","field":"row_count","key":"2026-11","by":1}]}`, "tok", 400, "row_count takes no key"},
		{"value on a counter", "POST", "/v1/records/tables/a", `{"ops":[{"op":"inc","field":"row_count","by":1,"value":"5"}]}`, "tok", 400, "inc takes no value"},
		{"by on a set", "POST", "/v1/records/tables/a", `{"ops":[{"op":"set","field":"owner","value":"ann","by":3}]}`, "tok", 400, "by is only for inc and dec"},
		{"partition without key", "POST", "/v1/records/tables/a", `{"ops":[{"op":"inc","field":"partitions","by":1}]}`, "tok", 400, "key is empty"},
		{"missing record", "GET", "/v1/records/tables/missing", ``, "", 404, "record tables/missing"},
		{"unknown view", "GET", "/v1/records/tables/orders?view=State", ``, "", 400, `view \"State\"`},
		{"body too large", "POST", "/v1/records/tables/a", `{"ops":[` + strings.Repeat(`{"op":"inc","field":"row_count","by":1},`, 30000) + `]}`,
			"tok", 413, "request body too large"},
		{"missing key", "GET", "/v1/kv/missing", ``, "", 404, `"found":false`},
		{"wrong method", "POST", "/v1/kv/a", ``, "tok", 405, "method POST not allowed"},
		{"no endpoint", "GET", "/v2/anything", ``, "", 404, "no such endpoint"},
		{"sever without fault injection", "POST", "/v1/admin/sever", `{"on":true}`, "tok", 404, "no such endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "http://"+addr+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := cli.HTTP.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tc.code, resp.StatusCode, string(b))
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			require.Contains(t, string(b), tc.want)
		})
	}
	// No failed request changed anything or created a record.
	_, err = cli.KVGet(ctx, addr, "a")
	require.ErrorContains(t, err, "404", "a refused PUT wrote the key")
	keys, err := n.records.keys("tables")
	require.NoError(t, err)
	require.Equal(t, []string{"orders"}, keys)
	keys, err = n.records.keys("nodes")
	require.NoError(t, err)
	require.Equal(t, []string{"solo"}, keys)

	resp, err = cli.HTTP.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	for _, m := range []string{"dwnode_http_requests_total", "dwnode_raft_leader 1", "dwnode_crdt_records 2", "dwnode_swim_members", "go_goroutines"} {
		require.Contains(t, string(b), m)
	}
}

// TestShutdownClosesTheAutoscalerLog: a leader running the auto-scaler
// opens the log its child nodes write to; Shutdown closes this process's
// handle on it like every other file.
func TestShutdownClosesTheAutoscalerLog(t *testing.T) {
	dir := t.TempDir()
	cfg, err := parseConfig([]string{"-name", "solo", "-bootstrap", "-data", dir, "-autoscale",
		"-swim-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0",
		"-replica-tick", "10ms"}, func(string) string { return "" })
	require.NoError(t, err)
	n, err := Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	logPath := n.dataPath("autoscaled-nodes.log")
	require.Eventually(t, func() bool { return openFile(t, logPath) }, 10*time.Second, 10*time.Millisecond,
		"the leader's auto-scaler never opened %s", logPath)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, n.Shutdown(ctx))
	require.False(t, openFile(t, logPath), "%s still open after Shutdown", logPath)
}

// openFile reports whether this process holds path open.
func openFile(t *testing.T, path string) bool {
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && target == path {
			return true
		}
	}
	return false
}

// TestChildNodesInheritTheSettings: a node the auto-scaler starts runs
// with its parent's settings (pruning, replication, timings, scaling),
// only with its own name, data directory and ports, joining its parent.
func TestChildNodesInheritTheSettings(t *testing.T) {
	dir := t.TempDir()
	wrapper, err := os.Executable() // any executable file will do
	require.NoError(t, err)
	cfg, err := parseConfig([]string{"-name", "parent", "-bootstrap", "-data", filepath.Join(dir, "parent"), "-autoscale",
		"-swim-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0",
		"-replica-tick", "20ms", "-replica-stream-threshold", "512", "-prune-after", "10m", "-prune-marker-ttl", "2h",
		"-raft-election", "400ms", "-raft-heartbeat", "40ms", "-log-level", "warn", "-swim-profile", "lan",
		"-scale-min", "2", "-scale-max", "7", "-scale-interval", "3s", "-scale-cooldown", "9s",
		"-scale-queue-up", "50.5", "-scale-queue-down", "5", "-scale-resources=false", "-scale-stop-timeout", "4s",
		"-scale-binary", wrapper, "-shutdown-timeout", "25s", "-fault-injection"},
		func(string) string { return "" })
	require.NoError(t, err)
	n, err := Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, n.Shutdown(ctx))
	}()

	var args []string
	for _, a := range n.scaler.childArgs() {
		args = append(args, strings.ReplaceAll(a, "{{.Index}}", "0"))
	}
	child, err := parseConfig(args, func(string) string { return "" })
	require.NoError(t, err)
	require.NotEqual(t, cfg.Name, child.Name)
	require.Equal(t, filepath.Join(dir, child.Name), child.DataDir)
	require.Equal(t, []string{n.Addrs().SWIM}, child.Join)

	want := cfg // what the child must share with its parent
	want.Name, want.DataDir, want.Join, want.Bootstrap, want.AddrFile = child.Name, child.DataDir, child.Join, false, ""
	want.SWIMAddr, want.RaftAddr, want.HTTPAddr, want.ReplicaAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	require.Equal(t, want, child)
}
