package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/tcp"
	"github.com/dwsdk/distributed/runtime/raft/wal"
	"github.com/dwsdk/distributed/runtime/swim"
)

// kvStore is the linearizable key-value store: a kvFSM replicated by Raft
// over TCP, with the WAL, stable store and snapshots in the data directory.
type kvStore struct {
	n    *Node
	fsm  *kvFSM
	raft *raft.Node
	logs *wal.WAL
	tr   raft.Transport

	mu         sync.Mutex
	lastChange time.Time // last configuration change this leader made
}

// kvResult is what the FSM hands back to a proposer.
type kvResult struct {
	pair nodeapi.KVPair
	err  error
}

// fsmAdapter adapts kvFSM to raft.FSM.
type fsmAdapter struct{ f *kvFSM }

func (a fsmAdapter) Apply(index uint64, cmd []byte) any {
	p, err := a.f.apply(index, cmd)
	return kvResult{pair: p, err: err}
}

func (a fsmAdapter) Snapshot() (raft.FSMSnapshot, error) {
	b, _, err := a.f.snapshot()
	if err != nil {
		return nil, err
	}
	return kvSnapshot(b), nil
}

func (a fsmAdapter) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("kv: read snapshot: %w", err)
	}
	return a.f.restore(b, 0)
}

type kvSnapshot []byte

func (s kvSnapshot) Persist(w io.Writer) error { _, err := w.Write(s); return err }
func (s kvSnapshot) Release()                  {}

// openKV opens the Raft storage, binds the Raft transport and starts Raft;
// with -bootstrap on a node without state it bootstraps a one-server
// cluster (the other nodes are added by the leader as they join SWIM).
func openKV(n *Node) (*kvStore, error) {
	kv := &kvStore{n: n, fsm: newKVFSM()}
	var err error
	if kv.logs, err = wal.Open(n.dataPath("raft-log"), wal.DefaultConfig()); err != nil {
		return nil, fmt.Errorf("dwnode: open raft log: %w", err)
	}
	stable, err := wal.OpenStableStore(n.dataPath("raft-state"))
	if err != nil {
		kv.logs.Close()
		return nil, fmt.Errorf("dwnode: open raft state: %w", err)
	}
	snaps, err := wal.OpenSnapshotStore(n.dataPath("raft-snapshots"), wal.DefaultSnapshotConfig())
	if err != nil {
		kv.logs.Close()
		return nil, fmt.Errorf("dwnode: open raft snapshots: %w", err)
	}
	tcfg := tcp.DefaultConfig()
	tcfg.ID, tcfg.ListenAddr, tcfg.Logger = n.cfg.Name, n.cfg.RaftAddr, n.log
	tr, err := tcp.New(n.ctx, tcfg)
	if err != nil {
		kv.logs.Close()
		return nil, fmt.Errorf("dwnode: raft transport: %w", err)
	}
	kv.tr = tr
	if n.cfg.FaultInjection {
		kv.tr = newRaftFaults(tr, &n.faults)
	}
	rcfg := raft.DefaultConfig()
	rcfg.LocalID, rcfg.Logger = n.cfg.Name, n.log
	rcfg.ElectionTimeoutMin, rcfg.ElectionTimeoutMax = n.cfg.Election, 2*n.cfg.Election
	rcfg.HeartbeatInterval = n.cfg.Heartbeat
	if kv.raft, err = raft.NewNode(rcfg, raft.Deps{FSM: fsmAdapter{kv.fsm}, Logs: kv.logs, Stable: stable,
		Snapshots: snaps, Transport: kv.tr}); err != nil {
		tr.Close()
		kv.logs.Close()
		return nil, fmt.Errorf("dwnode: start raft: %w", err)
	}
	if n.cfg.Bootstrap {
		c := raftwire.Configuration{Servers: []raftwire.Server{{ID: n.cfg.Name, Address: kv.tr.LocalAddr(), Suffrage: raftwire.Voter}}}
		ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
		err := kv.raft.Bootstrap(ctx, c)
		cancel()
		if err != nil && !errors.Is(err, raft.ErrNotBootstrappable) {
			kv.close()
			return nil, fmt.Errorf("dwnode: bootstrap raft: %w", err)
		}
	}
	return kv, nil
}

func (kv *kvStore) addr() string   { return kv.tr.LocalAddr() }
func (kv *kvStore) isLeader() bool { return kv.raft.Role() == raft.Leader }

// close stops Raft (and its transport) and closes the WAL, which flushes
// and fsyncs what is queued.
func (kv *kvStore) close() error {
	err := kv.raft.Close()
	return errors.Join(err, kv.logs.Close())
}

// status reports the Raft state for the API.
func (kv *kvStore) status() nodeapi.RaftStatus {
	s := kv.raft.Status()
	out := nodeapi.RaftStatus{ID: s.ID, Role: s.Role.String(), Term: s.Term, Leader: s.Leader,
		CommitIndex: s.CommitIndex, AppliedIndex: s.AppliedIndex}
	match := map[string]uint64{}
	for _, p := range s.Peers {
		match[p.ID] = p.Match
	}
	for _, srv := range s.Configuration.Servers {
		out.Peers = append(out.Peers, nodeapi.RaftPeer{ID: srv.ID, Address: srv.Address,
			Voter: srv.Suffrage == raftwire.Voter, MatchIndex: match[srv.ID]})
	}
	return out
}

// reconcile, on the leader, brings the Raft configuration in line with SWIM
// membership, one change per call: a member that joined is added as a
// learner and promoted to voter once it has caught up; a member whose Raft
// address changed (restarted on another port) is updated; a member that
// left gracefully is removed. Members that failed stay: they may come back.
func (kv *kvStore) reconcile(ctx context.Context, members []memberInfo) {
	if !kv.isLeader() {
		return
	}
	s := kv.raft.Status()
	inConfig := map[string]raftwire.Server{}
	for _, srv := range s.Configuration.Servers {
		inConfig[srv.ID] = srv
	}
	match := map[string]uint64{}
	for _, p := range s.Peers {
		match[p.ID] = p.Match
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var change func() error
	var what string
	for _, m := range members {
		srv, ok := inConfig[m.Name]
		if m.Name == kv.n.cfg.Name || m.meta.RaftAddr == "" {
			continue
		}
		switch {
		case m.State == swim.StateLeft && ok:
			change, what = func() error { return kv.raft.RemoveServer(ctx, m.Name) }, "remove"
		case m.State != swim.StateAlive:
		case !ok:
			change, what = func() error { return kv.raft.AddLearner(ctx, m.Name, m.meta.RaftAddr) }, "add learner"
		case srv.Address != m.meta.RaftAddr:
			change, what = func() error { return kv.raft.AddVoter(ctx, m.Name, m.meta.RaftAddr) }, "update address"
			if srv.Suffrage == raftwire.Learner {
				change = func() error { return kv.raft.AddLearner(ctx, m.Name, m.meta.RaftAddr) }
			}
		case srv.Suffrage == raftwire.Learner && match[m.Name]+64 >= s.CommitIndex && match[m.Name] > 0:
			change, what = func() error { return kv.raft.AddVoter(ctx, m.Name, m.meta.RaftAddr) }, "promote to voter"
		}
		if change != nil {
			if err := change(); err != nil {
				kv.n.log.Info("dwnode: raft membership change deferred", "member", m.Name, "change", what, "err", err)
			} else {
				kv.n.log.Info("dwnode: raft membership changed", "member", m.Name, "change", what)
			}
			return
		}
	}
}

// stepDown hands leadership to another voter before a graceful exit.
func (kv *kvStore) stepDown(ctx context.Context) {
	if !kv.isLeader() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := kv.raft.TransferLeadership(ctx, ""); err != nil {
		kv.n.log.Warn("dwnode: leadership transfer before leaving", "err", err)
	}
}

// requestCtx bounds one KV request.
func requestCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 5*time.Second)
}

func (n *Node) handleRaft(w http.ResponseWriter, r *http.Request) {
	st := n.kv.status()
	st.LeaderHTTP = n.leaderHTTP()
	writeJSON(w, http.StatusOK, &st)
}

// handleKVGet serves a linearizable read on the leader (ReadIndex, then the
// local state machine); followers forward it to the leader.
func (n *Node) handleKVGet(w http.ResponseWriter, r *http.Request) {
	key, ok := n.leaderKey(w, r)
	if !ok {
		return
	}
	ctx, cancel := requestCtx(r)
	defer cancel()
	if _, err := n.kv.raft.ReadIndex(ctx); err != nil {
		n.writeKVErr(w, err)
		return
	}
	p := n.kv.fsm.get(key)
	if !p.Found {
		writeJSON(w, http.StatusNotFound, &p)
		return
	}
	writeJSON(w, http.StatusOK, &p)
}

func (n *Node) handleKVPut(w http.ResponseWriter, r *http.Request) {
	if !n.kv.isLeader() {
		n.forward(w, r) // before the body is read: the leader reads it
		return
	}
	var body nodeapi.KVWrite
	if err := readJSON(r, &body); err != nil {
		n.writeErr(w, err)
		return
	}
	n.propose(w, r, nodeapi.KVPut, body.Value)
}

func (n *Node) handleKVDelete(w http.ResponseWriter, r *http.Request) {
	n.propose(w, r, nodeapi.KVDelete, "")
}

// leaderKey returns the request's key when this node is the Raft leader;
// otherwise it answers the request (a bad key, or forwarded to the leader)
// and reports false.
func (n *Node) leaderKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	key, err := pathKey(r, "key")
	if err != nil {
		n.writeErr(w, err)
		return "", false
	}
	if !n.kv.isLeader() {
		n.forward(w, r)
		return "", false
	}
	return key, true
}

// propose replicates one KV command through Raft (forwarding to the leader
// from a follower) and answers once it is applied.
func (n *Node) propose(w http.ResponseWriter, r *http.Request, op nodeapi.KVOp, value string) {
	key, ok := n.leaderKey(w, r)
	if !ok {
		return
	}
	cmd, err := (&nodeapi.KVCommand{Op: op, Key: key, Value: value}).MarshalBinary()
	if err != nil {
		n.writeErr(w, err)
		return
	}
	ctx, cancel := requestCtx(r)
	defer cancel()
	res, err := n.kv.raft.Propose(ctx, cmd)
	if err != nil {
		n.writeKVErr(w, err)
		return
	}
	out, _ := res.Response.(kvResult)
	if out.err != nil {
		n.writeErr(w, out.err)
		return
	}
	writeJSON(w, http.StatusOK, &out.pair)
}

// writeKVErr maps Raft errors: 503 when the request was certainly not
// executed (not the leader: retry elsewhere), 504 when its outcome is
// unknown (it may still be applied).
func (n *Node) writeKVErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, raft.ErrNotLeader):
		writeJSON(w, http.StatusServiceUnavailable, &nodeapi.Error{Error: err.Error(), Leader: n.leaderHTTP()})
	default:
		writeError(w, http.StatusGatewayTimeout, "outcome unknown: "+err.Error())
	}
}
