// Command dwnode is the reference node of the SDK: one process running SWIM
// membership over UDP, Raft over TCP with a durable write-ahead log and a
// linearizable key-value state machine, the CRDT replica engine for the
// records of gen/records, an auto-scaler active only on the Raft leader, and
// an HTTP API with Prometheus metrics.
//
// Usage:
//
//	dwnode -name n1 -bootstrap -http-addr 127.0.0.1:8081 -swim-addr 127.0.0.1:7001 -raft-addr 127.0.0.1:7101
//	dwnode -name n2 -join 127.0.0.1:7001 -http-addr 127.0.0.1:8082 -swim-addr 127.0.0.1:7002 -raft-addr 127.0.0.1:7102
//
// Every flag can also be set through the environment: -http-addr is
// DWNODE_HTTP_ADDR, -token is DWNODE_TOKEN, and so on; a flag wins over its
// variable. SIGINT or SIGTERM shut the node down gracefully: it hands Raft
// leadership away, flushes its last CRDT delta, leaves the SWIM cluster and
// closes the Raft log. HTTP API:
//
//	GET    /healthz                      liveness, role, record digest, load
//	GET    /metrics                      Prometheus metrics
//	GET    /v1/members                   SWIM members
//	GET    /v1/raft                      Raft status
//	GET    /v1/kv/{key}                  linearizable read (served by the leader)
//	PUT    /v1/kv/{key}     {"value":v}  write through Raft          (bearer token)
//	DELETE /v1/kv/{key}                  delete through Raft         (bearer token)
//	GET    /v1/records                   record types
//	GET    /v1/records/{type}            keys of a type
//	GET    /v1/records/{type}/{key}      a record as JSON
//	POST   /v1/records/{type}/{key}      {"ops":[...]} update a record (bearer token)
//	POST   /v1/admin/leave               leave the cluster gracefully (bearer token)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv))
}

// run is main without the exit, so its exit codes are testable: 0 after a
// graceful shutdown, 1 when the node failed (or was fenced: see prune.go),
// 2 on a bad configuration.
func run(args []string, getenv func(string) string) int {
	cfg, err := parseConfig(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("node", cfg.Name)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := Start(ctx, cfg, log)
	if err != nil && ctx.Err() != nil { // SIGTERM or SIGINT while starting
		log.Info("dwnode: stopped before serving", "err", err)
		return 0
	}
	if err != nil {
		log.Error("dwnode: start failed", "err", err)
		return 1
	}
	select {
	case <-ctx.Done():
	case <-n.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := n.Shutdown(sctx); err != nil {
		log.Error("dwnode: shutdown", "err", err)
		return 1
	}
	if n.fenced.Load() {
		log.Error("dwnode: stopped because the cluster pruned this node's replica id; start it again to rejoin under a new epoch")
		return 1
	}
	log.Info("dwnode: stopped")
	return 0
}
