package raft

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// Role is a server's part in the protocol.
type Role uint32

const (
	// Follower answers leaders and candidates.
	Follower Role = iota
	// Candidate is running an election (or a pre-vote).
	Candidate
	// Leader accepts proposals and replicates the log.
	Leader
	// Shutdown is reported after Close.
	Shutdown
)

func (r Role) String() string {
	switch r {
	case Follower:
		return "follower"
	case Candidate:
		return "candidate"
	case Leader:
		return "leader"
	case Shutdown:
		return "shutdown"
	}
	return fmt.Sprintf("Role(%d)", uint32(r))
}

// Deps are the parts a Node is built from. The Node uses but does not close
// the stores (a test may restart a node from them); its Close closes the
// Transport. When NewNode fails, nothing was started and the caller still
// owns the Transport.
type Deps struct {
	FSM       FSM
	Logs      LogStore
	Stable    StableStore
	Snapshots SnapshotStore
	Transport Transport
}

var epoch = time.Now()

// nanotime is a monotonic clock read without locks.
func nanotime() int64 { return int64(time.Since(epoch)) }

type leaderInfo struct{ id, addr string }

// Node is one Raft server. Create it with NewNode; all methods are safe for
// concurrent use.
//
// Internally one core goroutine owns the protocol state and handles every
// inbound message, one goroutine per follower replicates the log (and sends
// heartbeats), one writer goroutine persists the log with group commit, and
// one applier goroutine applies committed entries to the FSM. The role,
// term, commit and applied indexes and the leader are atomics, read without
// a lock.
type Node struct {
	cfg    Config
	id     string
	addr   string
	fsm    FSM
	log    *raftLog
	stable StableStore
	snaps  SnapshotStore
	trans  Transport
	logger *slog.Logger

	role        atomic.Uint32
	term        atomic.Uint64
	commitIdx   atomic.Uint64
	appliedIdx  atomic.Uint64
	leader      atomic.Pointer[leaderInfo]
	lastContact atomic.Int64 // when the leader was last heard from
	readSeq     atomic.Uint64
	stallSince  atomic.Int64 // when the pending LogStore.Append started; 0 when none
	appliedSig  atomic.Pointer[chan struct{}]
	failed      atomic.Pointer[error]
	metrics     counters
	// msgLimit is the transport's MaxMessageSize (0: none) and maxCmd the
	// largest command whose AppendEntries fits in it.
	msgLimit int
	maxCmd   int

	proposeCh   chan *Future
	ctrlCh      chan func()
	matchSig    chan struct{}
	writeCh     chan *writeOp
	writeDoneCh chan writeDone
	pendingCh   chan []*Future
	commitSig   chan struct{}
	// lostTerm is the newest term in which this server led and then
	// stepped down; the applier gives up on that leadership's uncommitted
	// proposals. Written by the core, read by the applier.
	lostTerm   atomic.Uint64
	restoreCh  chan raftwire.SnapshotMeta
	applierReq chan func(*applier)
	snapTaken  chan raftwire.SnapshotMeta
	snapSem    chan struct{}
	snapRetry  snapBackoff
	stopCh     chan struct{}
	closeOnce  sync.Once
	wg         sync.WaitGroup
	replWG     sync.WaitGroup

	// Core goroutine state.
	vote             string
	rng              *rand.Rand
	electionDeadline int64
	preVoting        bool
	votes            map[string]bool
	configs          configHistory
	replicators      map[string]*replicator
	selfMatch        uint64
	leaderFirstIndex uint64
	writeSeq         uint64
	writeDoneSeq     uint64
	pendingAcks      []pendingAck
	reads            []*readReq
	readsWaiting     []*readReq
	transfer         *transferState
	lastSnap         raftwire.SnapshotMeta
	inSnap           *snapReceive
	lastQuorumCheck  int64
}

// pendingAck is an acknowledgement that waits until the writes queued
// before it are durable.
type pendingAck struct {
	seq      uint64
	term     uint64
	to, addr string // empty for the leader's own match
	match    uint64
	readCtx  uint64
}

// NewNode builds a node from its parts, recovers its state from the stores
// (restoring the newest snapshot into the FSM) and starts it. A node with no
// state waits for Bootstrap or for a leader to contact it.
func NewNode(cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.FSM == nil || deps.Logs == nil || deps.Stable == nil || deps.Snapshots == nil || deps.Transport == nil {
		return nil, fmt.Errorf("%w: Deps needs FSM, Logs, Stable, Snapshots and Transport", ErrInvalidConfig)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	n := &Node{
		cfg:         cfg,
		id:          cfg.LocalID,
		addr:        deps.Transport.LocalAddr(),
		fsm:         deps.FSM,
		stable:      deps.Stable,
		snaps:       deps.Snapshots,
		trans:       deps.Transport,
		logger:      logger.With("raft", cfg.LocalID),
		proposeCh:   make(chan *Future, cfg.ProposalQueue),
		ctrlCh:      make(chan func(), 64),
		matchSig:    make(chan struct{}, 1),
		writeCh:     make(chan *writeOp, 4096),
		writeDoneCh: make(chan writeDone, 4096),
		pendingCh:   make(chan []*Future, 4096),
		commitSig:   make(chan struct{}, 1),
		restoreCh:   make(chan raftwire.SnapshotMeta, 16),
		applierReq:  make(chan func(*applier), 16),
		snapTaken:   make(chan raftwire.SnapshotMeta, 16),
		snapSem:     make(chan struct{}, 1),
		stopCh:      make(chan struct{}),
		replicators: map[string]*replicator{},
		rng:         rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), hashString(cfg.LocalID))),
	}
	if ml, ok := deps.Transport.(MessageLimiter); ok {
		n.msgLimit = ml.MaxMessageSize()
		n.maxCmd = n.msgLimit - appendOverhead(n.id, n.addr)
		if n.maxCmd <= 0 {
			return nil, fmt.Errorf("%w: the transport's MaxMessageSize %d leaves no room for a command", ErrInvalidConfig, n.msgLimit)
		}
	}
	sig := make(chan struct{})
	n.appliedSig.Store(&sig)

	hs, err := n.stable.LoadHardState()
	if err != nil {
		return nil, fmt.Errorf("raft: load hard state: %w", err)
	}
	if hs.Term > maxTerm {
		return nil, fmt.Errorf("%w: hard state term %d is above the last usable term %d", ErrStorage, hs.Term, uint64(maxTerm))
	}
	n.term.Store(hs.Term)
	n.vote = hs.Vote

	ap := &applier{n: n, pending: map[uint64][]*Future{}, reservedSnaps: map[uint64]int{}}
	meta, rc, err := n.snaps.Open()
	hasSnap := err == nil
	switch {
	case hasSnap:
		rerr := n.fsm.Restore(rc)
		rc.Close()
		if rerr != nil {
			return nil, fmt.Errorf("raft: restore snapshot at index %d: %w", meta.Index, rerr)
		}
		n.lastSnap = meta
		n.appliedIdx.Store(meta.Index)
		n.commitIdx.Store(meta.Index)
		n.configs.reset(meta.ConfigIndex, cloneConfiguration(meta.Configuration))
		ap.configs.reset(meta.ConfigIndex, cloneConfiguration(meta.Configuration))
		ap.storedSnap = meta.Index
	case errors.Is(err, ErrNoSnapshot):
	default:
		return nil, fmt.Errorf("raft: open snapshot: %w", err)
	}
	if n.log, err = newRaftLog(deps.Logs, meta, hasSnap); err != nil {
		return nil, err
	}
	if err := n.loadConfigs(); err != nil {
		return nil, err
	}
	n.resetElectionDeadline()
	n.lastContact.Store(nanotime())
	n.publishPeers()

	n.wg.Add(3)
	go n.run()
	go n.runWriter()
	go ap.run()
	return n, nil
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

// loadConfigs scans the log after the snapshot for configuration entries.
func (n *Node) loadConfigs() error {
	lo, last := n.log.firstIndex(), n.log.lastIndex()
	for lo <= last {
		ents, err := n.log.entries(lo, min(last+1, lo+1024), 0)
		if err != nil {
			return fmt.Errorf("raft: scan log for configurations from %d: %w", lo, err)
		}
		for _, e := range ents {
			if e.Type == raftwire.EntryConfig {
				c, err := decodeConfiguration(e.Data)
				if err != nil {
					return fmt.Errorf("raft: configuration entry %d: %w", e.Index, err)
				}
				n.configs.add(e.Index, c)
			}
		}
		lo += uint64(len(ents))
	}
	return nil
}

// run is the core goroutine.
func (n *Node) run() {
	defer n.wg.Done()
	ticker := time.NewTicker(n.tickInterval())
	defer ticker.Stop()
	inbound := n.trans.Inbound()
	for {
		select {
		case <-n.stopCh:
			n.stopCore(ErrClosed)
			return
		case m, ok := <-inbound:
			if !ok {
				inbound = nil
				continue
			}
			n.step(m)
		case f := <-n.proposeCh:
			n.handleProposals(f)
		case fn := <-n.ctrlCh:
			fn()
		case <-n.matchSig:
			n.advanceCommit()
			n.checkTransfer(nanotime())
		case d := <-n.writeDoneCh:
			n.handleWriteDone(d)
		case meta := <-n.snapTaken:
			n.compactTo(meta)
		case <-ticker.C:
			n.tick()
		}
		if err := n.err(); err != nil {
			if !errors.Is(err, ErrStorage) {
				err = fmt.Errorf("%w: %w", ErrStorage, err)
			}
			n.stopCore(err)
			n.role.Store(uint32(Shutdown))
			n.signalCommit() // the applier resolves what can no longer commit
			n.runFailed(err)
			return
		}
	}
}

// runFailed answers, until Close, what still reaches a core stopped by a
// storage failure: queued proposals fail with err, and control requests
// run (they find the node in the Shutdown role), so no caller waits for a
// core that no longer runs.
func (n *Node) runFailed(err error) {
	for {
		select {
		case <-n.stopCh:
			return
		case f := <-n.proposeCh:
			f.fail(err)
		case fn := <-n.ctrlCh:
			fn()
		}
	}
}

// stopCore ends what the core goroutine owns when it stops, with err:
// replication, pending reads, a leadership transfer and a snapshot being
// received.
func (n *Node) stopCore(err error) {
	n.stopReplicators()
	n.failReads(err)
	if n.transfer != nil {
		n.endTransfer(err)
	}
	if n.inSnap != nil {
		n.inSnap.sink.Cancel()
		n.inSnap = nil
	}
}

func (n *Node) tickInterval() time.Duration {
	return max(time.Millisecond, min(n.cfg.HeartbeatInterval, n.cfg.ElectionTimeoutMin/4)/2)
}

// fail stops the node after a storage error; the error is reported to
// every later call.
func (n *Node) fail(err error) {
	if n.failed.CompareAndSwap(nil, &err) {
		n.logger.Error("raft: stopping after storage failure", "err", err)
	}
}

// doCtrl runs fn on the core goroutine and waits for it.
func (n *Node) doCtrl(ctx context.Context, fn func()) error {
	if err := n.err(); err != nil {
		return err
	}
	done := make(chan struct{})
	wrapped := func() { fn(); close(done) }
	select {
	case n.ctrlCh <- wrapped:
	case <-n.stopCh:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-n.stopCh:
		return ErrClosed
	}
}

func (n *Node) err() error {
	if p := n.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// send addresses m and hands it to the transport; delivery is best effort.
// A node stopping on a storage failure sends nothing more: the message may
// answer for state it could not persist (a vote granted, a term and
// self-vote a candidate campaigns with), which a restart would forget.
func (n *Node) send(to, addr string, m *raftwire.Message) {
	if n.failed.Load() != nil {
		return
	}
	m.From, m.To, m.FromAddr = n.id, to, n.addr
	if err := n.trans.Send(addr, m); err != nil {
		n.logger.Debug("raft: send failed", "to", to, "err", err)
	}
}

func (n *Node) currentRole() Role { return Role(n.role.Load()) }

func (n *Node) setLeader(id, addr string) {
	cur := n.leader.Load()
	if id == "" {
		if cur != nil {
			n.leader.Store(nil)
		}
		return
	}
	if cur == nil || cur.id != id || cur.addr != addr {
		n.leader.Store(&leaderInfo{id: id, addr: addr})
	}
}

func (n *Node) saveHardState() {
	if err := n.stable.SaveHardState(raftwire.HardState{Term: n.term.Load(), Vote: n.vote}); err != nil {
		n.fail(fmt.Errorf("%w: save hard state: %v", ErrStorage, err))
	}
}

func (n *Node) resetElectionDeadline() {
	span := int64(n.cfg.ElectionTimeoutMax - n.cfg.ElectionTimeoutMin)
	n.electionDeadline = nanotime() + int64(n.cfg.ElectionTimeoutMin) + n.rng.Int64N(span+1)
}

// queueWrite hands a write to the log writer and returns its sequence.
func (n *Node) queueWrite(op *writeOp) uint64 {
	n.writeSeq++
	op.seq = n.writeSeq
	select {
	case n.writeCh <- op:
	case <-n.stopCh:
	}
	return op.seq
}

// appendLocal appends entries to this server's log and queues their write.
func (n *Node) appendLocal(entries []raftwire.Entry) uint64 {
	return n.appendEntries(entries, false)
}

// appendEntries appends entries to this server's log and persists them:
// inline, when inline is set and the writer is idle (a follower saves two
// goroutine hops before it can acknowledge), else through the writer.
// It returns the write's sequence.
func (n *Node) appendEntries(entries []raftwire.Entry, inline bool) uint64 {
	inline = inline && n.writeDoneSeq == n.writeSeq
	n.log.append(entries, n.writeSeq+1)
	for _, e := range entries {
		if e.Type == raftwire.EntryConfig {
			c, err := decodeConfiguration(e.Data)
			if err != nil {
				n.logger.Error("raft: undecodable configuration entry", "index", e.Index, "err", err)
				continue
			}
			n.configs.add(e.Index, c)
			n.onConfigChange()
		}
	}
	if !inline {
		return n.queueWrite(&writeOp{entries: entries})
	}
	n.writeSeq++
	n.stallSince.Store(nanotime())
	err := n.log.store.Append(entries)
	n.stallSince.Store(0)
	if err != nil {
		n.fail(fmt.Errorf("%w: append entries [%d, %d]: %v", ErrStorage, entries[0].Index, entries[len(entries)-1].Index, err))
		return n.writeSeq
	}
	n.log.markPersisted(n.writeSeq, entries[len(entries)-1].Index)
	n.writeDoneSeq = n.writeSeq
	return n.writeSeq
}

func (n *Node) handleWriteDone(d writeDone) {
	if d.err != nil {
		n.fail(d.err)
		return
	}
	n.writeDoneSeq = d.seq
	i := 0
	for ; i < len(n.pendingAcks) && n.pendingAcks[i].seq <= d.seq; i++ {
		a := n.pendingAcks[i]
		if a.term != n.term.Load() {
			continue
		}
		if a.to == "" {
			if n.currentRole() == Leader && a.match > n.selfMatch {
				n.selfMatch = a.match
				n.advanceCommit()
			}
			continue
		}
		n.send(a.to, a.addr, &raftwire.Message{AppendEntriesResponse: &raftwire.AppendEntriesResponse{
			Term: a.term, Success: true, LastLogIndex: a.match, ReadContext: a.readCtx, FollowerID: n.id,
		}})
	}
	n.pendingAcks = n.pendingAcks[i:]
	if len(n.pendingAcks) == 0 {
		n.pendingAcks = nil
	}
}

// commitTo raises the commit index and wakes the applier.
func (n *Node) commitTo(index uint64) {
	if index <= n.commitIdx.Load() {
		return
	}
	n.commitIdx.Store(index)
	n.signalCommit()
}

// signalCommit wakes the applier without blocking.
func (n *Node) signalCommit() {
	select {
	case n.commitSig <- struct{}{}:
	default:
	}
}

// Bootstrap writes the first configuration of a new cluster. Call it on
// every initial server (with the same configuration) or on one of them;
// it fails with ErrNotBootstrappable on a server that has any state.
func (n *Node) Bootstrap(ctx context.Context, c raftwire.Configuration) error {
	if err := validateConfiguration(c); err != nil {
		return err
	}
	var err error
	cerr := n.doCtrl(ctx, func() {
		if n.term.Load() != 0 || n.log.lastIndex() != 0 || n.lastSnap.Index != 0 {
			err = ErrNotBootstrappable
			return
		}
		data, eerr := encodeConfiguration(c)
		if eerr != nil {
			err = eerr
			return
		}
		e := raftwire.Entry{Index: 1, Term: 1, Type: raftwire.EntryConfig, Data: data}
		if werr := n.log.store.Append([]raftwire.Entry{e}); werr != nil {
			err = fmt.Errorf("%w: bootstrap: %v", ErrStorage, werr)
			return
		}
		n.term.Store(1)
		n.saveHardState()
		n.log.append([]raftwire.Entry{e}, n.writeSeq)
		n.log.markPersisted(n.writeSeq, 1)
		n.configs.add(1, cloneConfiguration(c))
		n.onConfigChange()
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// ProposeAsync appends cmd to the leader's log and returns as soon as the
// entry has its index and term (its write and replication are under way);
// the Future reports the outcome once the entry is applied. Many proposals
// may be in flight at once: they are batched into shared appends and fsyncs.
// A command above MaxCommandSize fails with ErrProposalTooLarge. cmd becomes
// the entry's data without a copy (it stays in the in-memory log and is sent
// to followers later): do not modify it after the call.
func (n *Node) ProposeAsync(ctx context.Context, cmd []byte) (*Future, error) {
	return n.proposeAsync(ctx, cmd, raftwire.EntryNormal)
}

func (n *Node) proposeAsync(ctx context.Context, cmd []byte, typ raftwire.EntryType) (*Future, error) {
	if err := n.checkProposal(cmd); err != nil {
		return nil, err
	}
	if n.currentRole() != Leader {
		return nil, ErrNotLeader
	}
	f := newFuture(cmd, uint8(typ))
	select {
	case n.proposeCh <- f:
	case <-n.stopCh:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-f.assigned:
		if f.assignErr != nil {
			return nil, f.assignErr
		}
		return f, nil
	case <-n.stopCh:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Propose replicates cmd and returns once it was applied, with the FSM's
// response. On a ctx error the entry may still be applied later. A command
// above MaxCommandSize fails with ErrProposalTooLarge. As with ProposeAsync,
// cmd is kept without a copy: do not modify it after the call.
func (n *Node) Propose(ctx context.Context, cmd []byte) (Result, error) {
	if err := n.checkProposal(cmd); err != nil {
		return Result{}, err
	}
	if n.currentRole() != Leader {
		return Result{}, ErrNotLeader
	}
	// Unlike ProposeAsync, wait for the outcome only: one wake-up per
	// proposal instead of two.
	f := newFuture(cmd, uint8(raftwire.EntryNormal))
	select {
	case n.proposeCh <- f:
	case <-n.stopCh:
		return Result{}, ErrClosed
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case <-f.done:
		return f.Result()
	case <-n.stopCh:
		return Result{}, ErrClosed
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// checkProposal refuses a proposal on a failed node, and one the transport
// could never carry to the followers.
func (n *Node) checkProposal(cmd []byte) error {
	if err := n.err(); err != nil {
		return err
	}
	if n.maxCmd > 0 && len(cmd) > n.maxCmd {
		return fmt.Errorf("%w: command of %d bytes, at most %d fit in the transport's %d-byte messages",
			ErrProposalTooLarge, len(cmd), n.maxCmd, n.msgLimit)
	}
	return nil
}

// MaxCommandSize returns the size of the largest command Propose accepts:
// what fits in one AppendEntries of a transport that bounds its messages
// (MessageLimiter), or 0 when the transport sets no bound.
func (n *Node) MaxCommandSize() int { return n.maxCmd }

// handleProposals appends every queued proposal as one batch.
func (n *Node) handleProposals(first *Future) {
	batch := []*Future{first}
	for yielded := false; len(batch) < n.cfg.MaxAppendEntries; {
		select {
		case f := <-n.proposeCh:
			batch = append(batch, f)
			continue
		default:
		}
		if yielded {
			break
		}
		// Let proposers that are ready to run queue theirs too: bigger
		// batches mean fewer appends, messages and acknowledgements.
		yielded = true
		runtime.Gosched()
	}
	var reject error
	switch {
	case n.currentRole() != Leader:
		reject = ErrNotLeader
	case n.transfer != nil:
		reject = ErrTransferInProgress
	}
	if reject != nil {
		for _, f := range batch {
			f.fail(reject)
		}
		return
	}
	n.appendAsLeader(batch)
}

// appendAsLeader assigns indexes to futures, registers them with the
// applier, appends and starts replicating them.
func (n *Node) appendAsLeader(batch []*Future) {
	term := n.term.Load()
	idx := n.log.lastIndex()
	entries := make([]raftwire.Entry, len(batch))
	for i, f := range batch {
		idx++
		f.Index, f.Term = idx, term
		entries[i] = raftwire.Entry{Index: idx, Term: term, Type: raftwire.EntryType(f.typ), Data: f.cmd}
	}
	select {
	case n.pendingCh <- batch:
	case <-n.stopCh:
		return
	}
	for _, f := range batch {
		close(f.assigned)
	}
	seq := n.appendLocal(entries)
	n.pendingAcks = append(n.pendingAcks, pendingAck{seq: seq, term: term, match: idx})
	n.notifyReplicators()
}

func (n *Node) notifyReplicators() {
	for _, r := range n.replicators {
		select {
		case r.notifyCh <- struct{}{}:
		default:
		}
	}
}

// Close stops the node and its transport and waits for its goroutines. A
// LogStore.Append that never returns keeps Close waiting. Futures still
// pending fail with ErrClosed.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		close(n.stopCh)
		n.wg.Wait()
		n.replWG.Wait()
		n.role.Store(uint32(Shutdown))
		n.trans.Close()
		for {
			select {
			case f := <-n.proposeCh:
				f.fail(ErrClosed)
				continue
			case b := <-n.pendingCh:
				for _, f := range b {
					f.resolve(nil, ErrClosed)
				}
				continue
			default:
			}
			break
		}
	})
	return nil
}

// ID returns this server's ID.
func (n *Node) ID() string { return n.id }

// Role returns this server's role, read without a lock.
func (n *Node) Role() Role { return n.currentRole() }

// Term returns the current term, read without a lock.
func (n *Node) Term() uint64 { return n.term.Load() }

// Leader returns the ID and address of the leader this server knows of, or
// empty strings.
func (n *Node) Leader() (id, addr string) {
	if l := n.leader.Load(); l != nil {
		return l.id, l.addr
	}
	return "", ""
}

// AppliedIndex returns the index of the last entry applied to the FSM.
func (n *Node) AppliedIndex() uint64 { return n.appliedIdx.Load() }

// CommitIndex returns the highest index known to be committed.
func (n *Node) CommitIndex() uint64 { return n.commitIdx.Load() }

// waitApplied blocks until the FSM has applied index.
func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	for {
		sig := *n.appliedSig.Load()
		if n.appliedIdx.Load() >= index {
			return nil
		}
		select {
		case <-sig:
		case <-ctx.Done():
			return ctx.Err()
		case <-n.stopCh:
			return ErrClosed
		}
	}
}
