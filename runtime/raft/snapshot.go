package raft

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// ErrSnapshotInProgress is returned when a snapshot is asked for while
// another is being written.
var ErrSnapshotInProgress = errors.New("raft: snapshot in progress")

// snapReceive is a snapshot being received from the leader.
type snapReceive struct {
	meta   raftwire.SnapshotMeta
	sink   SnapshotSink
	offset uint64
	// term is the sending leader's term: another leader's snapshot of the
	// same index and term need not have the same bytes, so its chunks are
	// never spliced onto this stream.
	term uint64
}

type snapResult struct {
	meta raftwire.SnapshotMeta
	err  error
}

// Snapshot asks the FSM for a snapshot of its applied state (hashicorp's
// style), stores it and compacts the log, keeping TrailingLogs entries.
func (n *Node) Snapshot(ctx context.Context) (raftwire.SnapshotMeta, error) {
	reply := make(chan snapResult, 1)
	select {
	case n.applierReq <- func(a *applier) { a.takeSnapshot(reply) }:
	case <-ctx.Done():
		return raftwire.SnapshotMeta{}, ctx.Err()
	case <-n.stopCh:
		return raftwire.SnapshotMeta{}, ErrClosed
	}
	select {
	case r := <-reply:
		return r.meta, r.err
	case <-ctx.Done():
		return raftwire.SnapshotMeta{}, ctx.Err()
	case <-n.stopCh:
		return raftwire.SnapshotMeta{}, ErrClosed
	}
}

// CreateSnapshot stores data as the snapshot of the state after applying
// index (etcd's style: the application made it) and compacts the log,
// keeping TrailingLogs entries. index must be applied and newer than the
// last snapshot; one whose write failed does not count, so the same index
// may be retried.
func (n *Node) CreateSnapshot(ctx context.Context, index uint64, data []byte) (raftwire.SnapshotMeta, error) {
	var meta raftwire.SnapshotMeta
	errc := make(chan error, 1)
	req := func(a *applier) {
		if last := a.lastSnapIndex(); index > n.appliedIdx.Load() || index <= last {
			errc <- fmt.Errorf("%w: %d (applied %d, last snapshot %d)", ErrSnapshotIndex, index, n.appliedIdx.Load(), last)
			return
		}
		term, err := n.log.term(index)
		if err != nil {
			errc <- fmt.Errorf("%w: term of %d: %v", ErrSnapshotIndex, index, err)
			return
		}
		c := a.configs.at(index)
		meta = raftwire.SnapshotMeta{Index: index, Term: term, Configuration: cloneConfiguration(c.cfg), ConfigIndex: c.index}
		a.reserveSnapshot(index)
		errc <- nil
	}
	select {
	case n.applierReq <- req:
	case <-ctx.Done():
		return meta, ctx.Err()
	case <-n.stopCh:
		return meta, ErrClosed
	}
	select {
	case err := <-errc:
		if err != nil {
			return meta, err
		}
	case <-n.stopCh:
		return meta, ErrClosed
	}
	select {
	case n.snapSem <- struct{}{}:
	case <-ctx.Done():
		n.releaseSnapshot(index, false)
		return meta, ctx.Err()
	case <-n.stopCh:
		return meta, ErrClosed
	}
	defer func() { <-n.snapSem }()
	meta, err := n.writeSnapshot(meta, func(s SnapshotSink) error {
		_, err := s.Write(data)
		return err
	})
	n.releaseSnapshot(index, err == nil)
	if err != nil {
		return meta, err
	}
	select {
	case n.snapTaken <- meta:
	case <-n.stopCh:
		return meta, ErrClosed
	}
	return meta, nil
}

// lastSnapIndex is the index a new snapshot must be past: that of the
// newest snapshot stored or being written. Applier goroutine.
func (a *applier) lastSnapIndex() uint64 {
	last := a.storedSnap
	for i := range a.reservedSnaps {
		last = max(last, i)
	}
	return last
}

// reserveSnapshot records a snapshot of index being written, until
// releaseSnapshot. Applier goroutine.
func (a *applier) reserveSnapshot(index uint64) { a.reservedSnaps[index]++ }

// releaseSnapshot ends the reservation of a snapshot of index once it is
// stored, or not (its write failed or its caller gave up): then a retry at
// that index is accepted and the automatic snapshot counts its threshold
// from the last stored one again, whatever other snapshots were reserved
// or released meanwhile. The request is queued before the caller reports
// the outcome, so a retry finds it done.
func (n *Node) releaseSnapshot(index uint64, stored bool) {
	select {
	case n.applierReq <- func(a *applier) {
		if a.reservedSnaps[index]--; a.reservedSnaps[index] <= 0 {
			delete(a.reservedSnaps, index)
		}
		if stored {
			a.storedSnap = max(a.storedSnap, index)
		}
	}:
	case <-n.stopCh:
	}
}

// writeSnapshot stores one snapshot through the SnapshotStore.
func (n *Node) writeSnapshot(meta raftwire.SnapshotMeta, write func(SnapshotSink) error) (raftwire.SnapshotMeta, error) {
	sink, err := n.snaps.Create(meta)
	if err != nil {
		return meta, fmt.Errorf("raft: create snapshot %d: %w", meta.Index, err)
	}
	cw := &countingSink{SnapshotSink: sink}
	if err := write(cw); err != nil {
		sink.Cancel()
		return meta, fmt.Errorf("raft: write snapshot %d: %w", meta.Index, err)
	}
	if err := sink.Close(); err != nil {
		return meta, fmt.Errorf("raft: close snapshot %d: %w", meta.Index, err)
	}
	meta.Size = cw.n
	n.metrics.SnapshotsTaken.Add(1)
	n.snapRetry.succeeded() // the store works: end any automatic pause
	return meta, nil
}

type countingSink struct {
	SnapshotSink
	n uint64
}

func (c *countingSink) Write(p []byte) (int, error) {
	k, err := c.SnapshotSink.Write(p)
	c.n += uint64(k)
	return k, err
}

// takeSnapshot captures the FSM at the applied index (applier goroutine)
// and persists it on another goroutine. reply may be nil (automatic).
func (a *applier) takeSnapshot(reply chan snapResult) {
	n := a.n
	answer := func(meta raftwire.SnapshotMeta, err error) {
		switch {
		case reply != nil:
			reply <- snapResult{meta, err}
		case err != nil && !errors.Is(err, ErrSnapshotInProgress) && !errors.Is(err, ErrSnapshotIndex) && !errors.Is(err, ErrClosed):
			n.logger.Warn("raft: automatic snapshot failed", "err", err, "retry_in", n.snapRetry.failed(time.Now()))
		}
	}
	select {
	case n.snapSem <- struct{}{}:
	default:
		answer(raftwire.SnapshotMeta{}, ErrSnapshotInProgress)
		return
	}
	applied := n.appliedIdx.Load()
	if last := a.lastSnapIndex(); applied == 0 || applied <= last && reply == nil {
		<-n.snapSem
		answer(raftwire.SnapshotMeta{}, fmt.Errorf("%w: nothing applied since snapshot %d", ErrSnapshotIndex, last))
		return
	}
	term, err := n.log.term(applied)
	if err != nil {
		<-n.snapSem
		answer(raftwire.SnapshotMeta{}, fmt.Errorf("raft: snapshot term of %d: %w", applied, err))
		return
	}
	fs, err := n.fsm.Snapshot()
	if err != nil {
		<-n.snapSem
		answer(raftwire.SnapshotMeta{}, fmt.Errorf("raft: FSM snapshot: %w", err))
		return
	}
	c := a.configs.at(applied)
	meta := raftwire.SnapshotMeta{Index: applied, Term: term, Configuration: cloneConfiguration(c.cfg), ConfigIndex: c.index}
	a.reserveSnapshot(applied)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer fs.Release()
		meta, err := n.writeSnapshot(meta, func(s SnapshotSink) error { return fs.Persist(s) })
		<-n.snapSem
		if reply == nil {
			// Pause the next automatic attempt before releasing the
			// index: the applier starts one as soon as it sees the
			// threshold passed again.
			answer(meta, err)
		}
		n.releaseSnapshot(applied, err == nil)
		if err == nil {
			select {
			case n.snapTaken <- meta:
			case <-n.stopCh:
				err = ErrClosed
			}
		}
		if reply != nil {
			answer(meta, err)
		}
	}()
}

// compactTo records a new snapshot and drops the log up to TrailingLogs
// entries before it, but never entries a live follower has not yet
// acknowledged, nor those a live follower needs after a snapshot it is
// installing: a follower out of reach holds no log, or one that died for
// good would make the log grow without bound. Core goroutine.
func (n *Node) compactTo(meta raftwire.SnapshotMeta) {
	if meta.Index > n.lastSnap.Index {
		n.lastSnap = meta
	}
	if meta.Index <= n.cfg.TrailingLogs {
		return
	}
	to := meta.Index - n.cfg.TrailingLogs
	now := nanotime()
	for _, r := range n.replicators {
		// Only a follower that was out of reach ever needs a snapshot;
		// one out of reach now gets a newer one when it is back.
		if now-r.lastContact.Load() >= int64(n.cfg.ElectionTimeoutMin) {
			continue
		}
		if h := r.hold.Load(); h != 0 && h < to {
			to = h
		}
		if r.match.Load() < to {
			to = r.match.Load()
		}
	}
	if to < n.log.firstIndex() {
		return
	}
	term, err := n.log.term(to)
	if err != nil {
		return
	}
	n.log.compact(to, term)
	n.configs.compact(to)
	n.queueWrite(&writeOp{compactTo: to})
	n.metrics.Compactions.Add(1)
}

// handleInstallSnapshot receives a snapshot chunk from the leader.
func (n *Node) handleInstallSnapshot(m *raftwire.Message, is *raftwire.InstallSnapshot) {
	resp := &raftwire.InstallSnapshotResponse{FollowerID: n.id}
	reply := func() { n.send(m.From, m.FromAddr, &raftwire.Message{InstallSnapshotResponse: resp}) }
	if !n.acceptLeader(m, is.Term, is.LeaderID) {
		resp.Term = n.term.Load()
		reply()
		return
	}
	resp.Term = is.Term
	end := is.Offset + uint64(len(is.Data))
	if is.LastIncludedIndex <= n.commitIdx.Load() {
		// We already hold everything it covers.
		resp.Success, resp.NextOffset = true, end
		reply()
		return
	}
	in := n.inSnap
	if in == nil || in.meta.Index != is.LastIncludedIndex || in.meta.Term != is.LastIncludedTerm || in.term != is.Term {
		if is.Offset != 0 {
			resp.Success = false
			reply()
			return
		}
		if in != nil {
			in.sink.Cancel()
		}
		meta := raftwire.SnapshotMeta{
			Index: is.LastIncludedIndex, Term: is.LastIncludedTerm,
			Configuration: cloneConfiguration(is.Configuration), ConfigIndex: is.ConfigIndex, Size: is.TotalSize,
		}
		sink, err := n.snaps.Create(meta)
		if err != nil {
			n.logger.Error("raft: create snapshot for install", "index", meta.Index, "err", err)
			n.inSnap = nil
			reply()
			return
		}
		in = &snapReceive{meta: meta, sink: sink, term: is.Term}
		n.inSnap = in
	}
	switch {
	case is.Offset < in.offset: // a duplicate
		resp.Success, resp.NextOffset = true, end
		reply()
		return
	case is.Offset > in.offset: // a gap: start over
		in.sink.Cancel()
		n.inSnap = nil
		reply()
		return
	}
	if _, err := in.sink.Write(is.Data); err != nil {
		n.logger.Error("raft: write received snapshot", "index", in.meta.Index, "err", err)
		in.sink.Cancel()
		n.inSnap = nil
		reply()
		return
	}
	in.offset = end
	if is.Done {
		n.inSnap = nil
		if err := in.sink.Close(); err != nil {
			n.logger.Error("raft: store received snapshot", "index", in.meta.Index, "err", err)
			reply()
			return
		}
		in.meta.Size = in.offset
		n.installSnapshot(in.meta)
	}
	resp.Success, resp.NextOffset = true, in.offset
	reply()
}

// installSnapshot switches this follower to a snapshot received in full.
func (n *Node) installSnapshot(meta raftwire.SnapshotMeta) {
	n.logger.Info("raft: installing snapshot", "index", meta.Index, "term", meta.Term)
	// The write below gets sequence writeSeq+1. When the log conflicts
	// with the snapshot, the store must lose all of it, not only the
	// prefix: a stale suffix would come back on a restart.
	keptLog := n.log.restore(meta.Index, meta.Term, n.writeSeq+1)
	kept := n.configs.entries
	n.configs.reset(meta.ConfigIndex, cloneConfiguration(meta.Configuration))
	if n.log.lastIndex() > meta.Index {
		for _, e := range kept {
			if e.index > meta.Index {
				n.configs.entries = append(n.configs.entries, e)
			}
		}
	}
	n.onConfigChange()
	n.queueWrite(&writeOp{compactTo: meta.Index, reset: !keptLog})
	if meta.Index > n.lastSnap.Index {
		n.lastSnap = meta
	}
	select {
	case n.restoreCh <- meta:
	case <-n.stopCh:
		return
	}
	n.commitTo(meta.Index)
}

// handleSnapshotResponse routes a follower's answer to its replicator.
func (n *Node) handleSnapshotResponse(m *raftwire.Message, r *raftwire.InstallSnapshotResponse) {
	term := n.term.Load()
	if r.Term > term {
		n.becomeFollower(r.Term, "", "")
		return
	}
	if r.Term < term || n.currentRole() != Leader {
		return
	}
	if rep := n.replicators[m.From]; rep != nil {
		rep.lastContact.Store(nanotime())
		rep.deliver(m)
	}
}

// snapBackoff spaces the automatic snapshots after a failure (a full disk,
// an FSM that cannot snapshot): the next attempt waits 1 s, doubling to
// 1 min while they keep failing, instead of capturing the FSM again with
// every applied batch. Any snapshot stored, CreateSnapshot's too, starts
// over. CreateSnapshot is not held back. Safe for concurrent use.
type snapBackoff struct {
	pause   atomic.Int64 // of the last failure, ns; 0 after a success
	retryAt atomic.Int64 // unix ns before which no automatic attempt starts
}

// due reports whether an automatic snapshot may start at now.
func (b *snapBackoff) due(now time.Time) bool { return now.UnixNano() >= b.retryAt.Load() }

// failed records a failure at now and returns the pause before the next
// attempt.
func (b *snapBackoff) failed(now time.Time) time.Duration {
	p := min(max(2*time.Duration(b.pause.Load()), time.Second), time.Minute)
	b.pause.Store(int64(p))
	b.retryAt.Store(now.Add(p).UnixNano())
	return p
}

// succeeded clears the pause.
func (b *snapBackoff) succeeded() {
	b.pause.Store(0)
	b.retryAt.Store(0)
}
