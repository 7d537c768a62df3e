package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/dwsdk/distributed/runtime/crdt/replica"
	"github.com/dwsdk/distributed/runtime/crdt/replica/durable"
	"github.com/dwsdk/distributed/runtime/crdt/replica/stream"
	"github.com/dwsdk/distributed/runtime/swim"
)

// Node is one running dwnode: SWIM membership, Raft with the key-value
// state machine, the CRDT replica engine and the HTTP API.
type Node struct {
	cfg     Config
	log     *slog.Logger
	epoch   uint64
	replica string // CRDT replica id of this incarnation

	pruneAfter time.Duration // a member dead this long is given up on (see prune.go)
	fenced     atomic.Bool   // the cluster pruned our replica id: we must restart

	swim    *swim.Node
	link    *swimLink
	stream  *stream.Transport // the CRDT anti-entropy stream
	engine  *replica.Engine
	records *recordStore
	store   *durable.Store // the records' log and snapshot
	kv      *kvStore
	scaler  *leaderScaler
	metrics *metrics
	load    loadMeter
	faults  faults
	client  *http.Client

	httpLn  net.Listener
	httpSrv *http.Server

	changed chan struct{} // membership changed: reconcile
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	shutdownOnce sync.Once
	shutdownErr  error
	leaveReq     chan struct{} // POST /v1/admin/leave
}

// Addrs are the addresses a node bound.
type Addrs struct {
	SWIM, Raft, HTTP string
}

// Start brings a node up: it opens the Raft log, binds every listener,
// joins the cluster and serves until Shutdown.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (_ *Node, err error) {
	epoch := uint64(time.Now().UnixNano())
	n := &Node{
		cfg: cfg, log: log, epoch: epoch,
		replica:  cfg.Name + "@" + strconv.FormatUint(epoch, 36),
		client:   &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		changed:  make(chan struct{}, 1),
		leaveReq: make(chan struct{}, 1),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			n.closeAll()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("dwnode: data directory: %w", err)
	}
	n.metrics = newMetrics(n)

	if n.httpLn, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("dwnode: listen http %s: %w", cfg.HTTPAddr, err)
	}
	if n.kv, err = openKV(n); err != nil {
		return nil, err
	}

	n.records = newRecordStore(n.replica)
	// The records written before a crash come back under their old replica
	// ids and are disseminated again as this incarnation's first delta.
	if n.store, err = durable.Open(durable.Config{
		Dir: n.dataPath("crdt"), State: n.records.keyed, Logger: log, RestoreAsDelta: true,
	}); err != nil {
		return nil, fmt.Errorf("dwnode: open CRDT store: %w", err)
	}
	n.link = newSwimLink(log, cfg.StreamThreshold)
	if n.stream, err = stream.New(n.ctx, stream.Config{
		ID: cfg.Name, ListenAddr: cfg.ReplicaAddr, Resolve: n.link.replicaAddr, Logger: log,
	}); err != nil {
		return nil, fmt.Errorf("dwnode: replication stream: %w", err)
	}
	n.link.useStream(n.stream, n.faults.severed.Load)
	meta, err := (&nodeapi.NodeMeta{RaftAddr: n.kv.addr(), HTTPAddr: n.httpLn.Addr().String(), Epoch: epoch,
		ReplicaAddr: n.stream.Addr()}).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("dwnode: encode metadata: %w", err)
	}
	scfg := swim.DefaultLocalConfig()
	if cfg.SWIM == "lan" {
		scfg = swim.DefaultLANConfig()
	}
	scfg.Name, scfg.BindAddr, scfg.Meta, scfg.Logger = cfg.Name, cfg.SWIMAddr, meta, log
	scfg.Events = func(swim.Event) { n.signal() }
	scfg.OnMessage = n.link.onMessage
	if cfg.FaultInjection {
		t, err := swim.NewNetTransport(cfg.SWIMAddr, log)
		if err != nil {
			return nil, fmt.Errorf("dwnode: start SWIM: %w", err)
		}
		scfg.Transport = &swimFaults{Transport: t, f: &n.faults}
	}
	if n.swim, err = swim.Create(scfg); err != nil {
		return nil, fmt.Errorf("dwnode: start SWIM: %w", err)
	}
	n.link.attach(n.swim)
	n.pruneAfter = cmp.Or(cfg.PruneAfter, scfg.ReapTime)

	if n.engine, err = replica.New(replica.Config{
		ID: cfg.Name, Replica: n.replica, Epoch: epoch, State: n.store,
		Transport: n.link, Logger: log, TickInterval: cfg.ReplicaTick,
		AntiEntropyTicks: 20, // a digest exchange every 20 ticks: a divergence is repaired within seconds
		OnFenced:         n.onFenced,
		MarkerTTLTicks:   uint64(cfg.MarkerTTL / cfg.ReplicaTick),
	}); err != nil {
		return nil, fmt.Errorf("dwnode: replica engine: %w", err)
	}
	n.records.notify = n.engine.Notify
	n.registerPruneMetrics()

	n.httpSrv = &http.Server{Handler: n.routes(), ReadHeaderTimeout: 5 * time.Second}
	n.scaler = newLeaderScaler(n)
	n.goRun("replica", n.engine.Run)
	n.goRun("crdt-compaction", n.store.Run)
	n.goRun("replica-stream", n.link.pumpStream)
	n.goRun("membership", n.membershipLoop)
	n.goRun("load", n.loadLoop)
	n.goRun("autoscale", n.scaler.run)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.httpSrv.Serve(n.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("dwnode: http server", "err", err)
		}
	}()

	if len(cfg.Join) > 0 {
		if err := n.join(ctx); err != nil {
			return nil, err
		}
	}
	if err := n.writeAddrFile(); err != nil {
		return nil, err
	}
	log.Info("dwnode: serving", "name", cfg.Name, "swim", n.swim.LocalNode().Addr, "raft", n.kv.addr(),
		"http", n.httpLn.Addr().String(), "replica_stream", n.stream.Addr(), "replica", n.replica)
	return n, nil
}

// goRun runs f in a tracked goroutine until the node stops.
func (n *Node) goRun(name string, f func(context.Context) error) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := f(n.ctx); err != nil && n.ctx.Err() == nil {
			n.log.Error("dwnode: component stopped", "component", name, "err", err)
		}
	}()
}

// join contacts the seeds, retrying for a while: they may still be
// starting.
func (n *Node) join(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		_, err := n.swim.Join(ctx, n.cfg.Join...)
		if err == nil {
			n.signal()
			return nil
		}
		n.log.Warn("dwnode: join failed, retrying", "seeds", n.cfg.Join, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("dwnode: join %v: gave up (%w); last attempt: %w", n.cfg.Join, ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Addrs returns the bound addresses.
func (n *Node) Addrs() Addrs {
	return Addrs{SWIM: n.swim.LocalNode().Addr, Raft: n.kv.addr(), HTTP: n.httpLn.Addr().String()}
}

// writeAddrFile writes the bound addresses as a Member in JSON, atomically.
func (n *Node) writeAddrFile() error {
	if n.cfg.AddrFile == "" {
		return nil
	}
	a := n.Addrs()
	b, err := (&nodeapi.Member{Name: n.cfg.Name, Addr: a.SWIM, RaftAddr: a.Raft, HTTPAddr: a.HTTP, State: "alive"}).MarshalJSON()
	if err != nil {
		return err
	}
	tmp := n.cfg.AddrFile + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("dwnode: address file: %w", err)
	}
	if err := os.Rename(tmp, n.cfg.AddrFile); err != nil {
		return fmt.Errorf("dwnode: address file: %w", err)
	}
	return nil
}

// signal asks the membership loop to reconcile; it never blocks (SWIM
// calls it under its lock).
func (n *Node) signal() {
	select {
	case n.changed <- struct{}{}:
	default:
	}
}

// loadLoop updates the request-rate meter every second.
func (n *Node) loadLoop(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			n.load.tick(now)
		}
	}
}

// Done is closed when a leave was requested through the API.
func (n *Node) Done() <-chan struct{} { return n.leaveReq }

// Shutdown leaves the cluster gracefully: it hands Raft leadership away,
// flushes the last CRDT delta (and syncs the CRDT log), announces the departure through SWIM, stops
// serving, and closes Raft (flushing the WAL). It is safe to call twice.
func (n *Node) Shutdown(ctx context.Context) error {
	n.shutdownOnce.Do(func() {
		start := time.Now()
		step := func(what string) {
			n.log.Info("dwnode: shutdown step done", "step", what, "elapsed", time.Since(start))
		}
		n.log.Info("dwnode: shutting down", "name", n.cfg.Name)
		n.scaler.stop()
		n.kv.stepDown(ctx)
		step("raft leadership handed over")
		n.engine.Flush()
		lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if err := n.swim.Leave(lctx); err != nil {
			n.log.Warn("dwnode: leave", "err", err)
		}
		cancel()
		step("left the SWIM cluster")
		hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := n.httpSrv.Shutdown(hctx); err != nil {
			n.log.Warn("dwnode: http shutdown", "err", err)
		}
		cancel()
		step("http stopped")
		n.shutdownErr = n.closeAll()
		step("closed")
	})
	return n.shutdownErr
}

// closeAll stops every component that was started, in reverse order.
func (n *Node) closeAll() error {
	n.cancel()
	var errs []error
	if n.httpSrv != nil {
		n.httpSrv.Close()
	} else if n.httpLn != nil {
		n.httpLn.Close()
	}
	n.wg.Wait()
	if n.swim != nil {
		if err := n.swim.Shutdown(); err != nil {
			errs = append(errs, err)
		}
	}
	if n.link != nil {
		n.link.close()
	}
	if n.stream != nil {
		n.stream.Close()
	}
	if n.store != nil { // the engine has stopped taking deltas
		if err := n.store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if n.kv != nil {
		if err := n.kv.close(); err != nil {
			errs = append(errs, err)
		}
	}
	n.client.CloseIdleConnections()
	return errors.Join(errs...)
}

// health reports the node's view of the cluster.
func (n *Node) health() *nodeapi.Health {
	st := n.kv.status()
	sum, err := n.records.digest()
	h := &nodeapi.Health{
		Status: "ok", Node: n.cfg.Name, Members: uint32(n.swim.NumMembers()),
		RaftRole: st.Role, RaftLeader: st.Leader, Load: n.load.value(), Records: uint32(n.records.len()), Pid: uint32(os.Getpid()),
	}
	switch {
	case n.fenced.Load():
		h.Status = "fenced: replica id pruned by the cluster; restart this node"
	case err != nil:
		h.Status = "degraded: " + err.Error()
	}
	if err == nil {
		h.Digest = hex.EncodeToString(sum[:])
	}
	return h
}

func (n *Node) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, n.health())
}

// handleLeave asks the node to shut down gracefully (used by the
// auto-scaler to remove a node it did not start).
func (n *Node) handleLeave(w http.ResponseWriter, r *http.Request) {
	select {
	case n.leaveReq <- struct{}{}:
	default:
	}
	writeJSON(w, http.StatusAccepted, &nodeapi.Health{Status: "leaving", Node: n.cfg.Name})
}

// dataPath returns a path inside the data directory.
func (n *Node) dataPath(name string) string { return filepath.Join(n.cfg.DataDir, name) }
