package raft

import (
	"bufio"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// replicator is the leader's goroutine for one follower: it pipelines
// AppendEntries (up to MaxInflightAppends), backs off on rejections using the
// follower's conflict hint, streams a snapshot when the follower needs
// entries that were compacted, and sends heartbeats. The heartbeat reads the
// term, commit index and read context from atomics: it takes no lock.
type replicator struct {
	n        *Node
	id, addr string
	term     uint64

	// Read by the core goroutine.
	match       atomic.Uint64
	lastContact atomic.Int64
	readAck     atomic.Uint64
	hold        atomic.Uint64 // snapshot index being installed: keep the log after it

	notifyCh chan struct{}
	hbNowCh  chan struct{}
	respCh   chan *raftwire.Message
	stopCh   chan struct{}

	// Owned by the replicator goroutine.
	next         uint64
	inflight     []uint64
	probing      bool
	probePrev    uint64
	lastProgress int64
	snap         *snapSend
	snapRetryAt  int64
}

// snapSend is a snapshot being streamed to the follower, one chunk at a time.
type snapSend struct {
	meta   raftwire.SnapshotMeta
	rc     io.ReadCloser
	br     *bufio.Reader
	offset uint64
	chunk  []byte
	done   bool
	// chunkSize is SnapshotChunkSize, or less when the transport's
	// messages could not carry that much.
	chunkSize int
}

func (n *Node) newReplicator(s raftwire.Server) *replicator {
	r := &replicator{
		n: n, id: s.ID, addr: s.Address, term: n.term.Load(),
		notifyCh: make(chan struct{}, 1),
		hbNowCh:  make(chan struct{}, 1),
		respCh:   make(chan *raftwire.Message, 1024),
		stopCh:   make(chan struct{}),
		next:     n.log.lastIndex() + 1,
		probing:  true,
	}
	r.lastContact.Store(nanotime())
	return r
}

// syncReplicators runs one replicator per server of the latest
// configuration other than this one. Core goroutine, leader only.
func (n *Node) syncReplicators() {
	if n.currentRole() != Leader {
		return
	}
	want := map[string]raftwire.Server{}
	for _, s := range n.configs.latest().cfg.Servers {
		if s.ID != n.id {
			want[s.ID] = s
		}
	}
	for id, r := range n.replicators {
		if s, ok := want[id]; !ok || s.Address != r.addr {
			close(r.stopCh)
			delete(n.replicators, id)
		}
	}
	for id, s := range want {
		if n.replicators[id] == nil {
			r := n.newReplicator(s)
			n.replicators[id] = r
			n.replWG.Add(1)
			go r.run()
		}
	}
}

func (n *Node) stopReplicators() {
	for id, r := range n.replicators {
		close(r.stopCh)
		delete(n.replicators, id)
	}
}

// deliver hands a response to the replicator; when its queue is full the
// response is dropped and the retransmit timer recovers.
func (r *replicator) deliver(m *raftwire.Message) {
	select {
	case r.respCh <- m:
	default:
	}
}

func (r *replicator) run() {
	defer r.n.replWG.Done()
	defer r.closeSnap()
	hb := time.NewTicker(r.n.cfg.HeartbeatInterval)
	defer hb.Stop()
	r.heartbeat()
	r.sendAppends()
	for {
		select {
		case <-r.stopCh:
			return
		case <-r.notifyCh:
			r.sendAppends()
		case m := <-r.respCh:
			r.handle(m)
			r.sendAppends()
		case <-hb.C:
			r.heartbeat()
			r.checkProgress()
		case <-r.hbNowCh:
			r.heartbeat()
		}
	}
}

// stalled reports whether the leader's LogStore.Append has been blocked
// longer than LogStallTimeout: such a leader must not keep followers happy.
func (n *Node) stalled() bool {
	since := n.stallSince.Load()
	return since != 0 && nanotime()-since > int64(n.cfg.LogStallTimeout)
}

// heartbeat sends an empty AppendEntries. The commit index is capped at the
// follower's match, so the follower may apply it without a log check.
// Lock-free: atomics only.
func (r *replicator) heartbeat() {
	n := r.n
	if n.stalled() {
		return
	}
	n.metrics.HeartbeatsSent.Add(1)
	n.send(r.id, r.addr, &raftwire.Message{AppendEntries: &raftwire.AppendEntries{
		Term: r.term, LeaderID: n.id, Heartbeat: true,
		LeaderCommit: min(n.commitIdx.Load(), r.match.Load()),
		ReadContext:  n.readSeq.Load(),
	}})
}

// checkProgress retransmits when appends or a snapshot chunk went
// unanswered for too long (lost messages), and resumes a follower that is
// behind with nothing in flight.
func (r *replicator) checkProgress() {
	now := nanotime()
	timeout := int64(max(2*r.n.cfg.HeartbeatInterval, r.n.cfg.ElectionTimeoutMin/2))
	switch {
	case r.snap != nil:
		if now-r.lastProgress <= timeout {
			break
		}
		if now-r.lastContact.Load() < int64(r.n.cfg.ElectionTimeoutMin) {
			r.sendChunk()
			break
		}
		// The follower went silent: abandon the stream and release the
		// log, so a dead follower cannot stop compaction.
		r.closeSnap()
		r.hold.Store(0)
		r.probing = true
		r.inflight = r.inflight[:0]
		r.next = r.match.Load() + 1
	case len(r.inflight) > 0:
		if now-r.lastProgress > timeout {
			r.n.metrics.Retransmits.Add(1)
			r.inflight = r.inflight[:0]
			r.next = r.match.Load() + 1
			r.probing = true
			r.sendAppends()
		}
	case r.match.Load() < r.n.log.lastIndex():
		// Nothing in flight yet the follower is behind: what we sent was
		// lost. Resend from its match.
		r.next = r.match.Load() + 1
		r.sendAppends()
	}
}

// sendAppends sends entries from next on, pipelining up to the in-flight
// limit (one probe at a time while the follower's position is unknown).
func (r *replicator) sendAppends() {
	n := r.n
	if r.snap != nil {
		return
	}
	for {
		last := n.log.lastIndex()
		if r.probing {
			if len(r.inflight) > 0 {
				return
			}
		} else if len(r.inflight) >= n.cfg.MaxInflightAppends || r.next > last {
			return
		}
		prev := r.next - 1
		prevTerm, err := n.log.term(prev)
		if err != nil {
			if errors.Is(err, ErrCompacted) {
				r.startSnapshot()
			}
			return
		}
		hi := min(last+1, r.next+uint64(n.cfg.MaxAppendEntries))
		ents, err := n.log.entries(r.next, hi, n.cfg.MaxAppendBytes)
		if err != nil {
			if errors.Is(err, ErrCompacted) {
				r.startSnapshot()
			}
			return
		}
		m := &raftwire.Message{AppendEntries: &raftwire.AppendEntries{
			Term: r.term, LeaderID: n.id, PrevLogIndex: prev, PrevLogTerm: prevTerm,
			Entries: ents, LeaderCommit: n.commitIdx.Load(), ReadContext: n.readSeq.Load(),
		}}
		r.fit(m)
		if len(r.inflight) == 0 {
			r.lastProgress = nanotime()
		}
		sent := prev + uint64(len(m.AppendEntries.Entries))
		r.inflight = append(r.inflight, sent)
		r.probePrev = prev
		r.next = sent + 1
		n.send(r.id, r.addr, m)
		if r.probing {
			return
		}
	}
}

// fit halves the entries of an AppendEntries until it fits in the
// transport's messages (MessageLimiter): many entries of up to
// MaxAppendBytes together may not, and a message the transport refuses
// would be retried for ever.
func (r *replicator) fit(m *raftwire.Message) {
	limit := r.n.msgLimit
	if limit == 0 {
		return
	}
	m.From, m.To, m.FromAddr = r.n.id, r.id, r.n.addr
	a := m.AppendEntries
	for len(a.Entries) > 1 && m.Size() > limit {
		a.Entries = a.Entries[:len(a.Entries)/2]
	}
}

// advanceMatch raises the match index; the core goroutine and the
// replicator both call it.
func (r *replicator) advanceMatch(index uint64) bool {
	for {
		m := r.match.Load()
		if index <= m {
			return false
		}
		if r.match.CompareAndSwap(m, index) {
			return true
		}
	}
}

// setMatch raises the match index and asks the core to recompute the
// commit index.
func (r *replicator) setMatch(index uint64) {
	if !r.advanceMatch(index) {
		return
	}
	select {
	case r.n.matchSig <- struct{}{}:
	default:
	}
}

// handle processes a follower's answer. Only an answer that moves
// replication on (an ack of appends in flight, a rejection acted upon, an
// acknowledged snapshot chunk) counts as progress: heartbeat answers and
// stale or duplicate answers must not postpone the retransmit timer in
// checkProgress, or a lost append or snapshot chunk to a follower that
// keeps answering heartbeats is never resent.
func (r *replicator) handle(m *raftwire.Message) {
	switch {
	case m.AppendEntriesResponse != nil:
		r.handleAppendResponse(m.AppendEntriesResponse)
	case m.InstallSnapshotResponse != nil:
		r.handleSnapshotResponse(m.InstallSnapshotResponse)
	}
}

func (r *replicator) handleAppendResponse(resp *raftwire.AppendEntriesResponse) {
	if resp.Heartbeat || r.snap != nil {
		return
	}
	if resp.Success {
		r.advanceMatch(resp.LastLogIndex) // the core already did, normally
		match := r.match.Load()
		if h := r.hold.Load(); h != 0 && match >= r.n.commitIdx.Load() {
			r.hold.Store(0) // caught up from the log after its snapshot
		}
		if r.probing {
			r.lastProgress = nanotime()
			r.probing = false
			r.inflight = r.inflight[:0]
			r.next = match + 1
			return
		}
		i := 0
		for i < len(r.inflight) && r.inflight[i] <= resp.LastLogIndex {
			i++
		}
		if i > 0 {
			r.lastProgress = nanotime()
		}
		r.inflight = append(r.inflight[:0], r.inflight[i:]...)
		r.next = max(r.next, match+1)
		return
	}
	// Ignore rejections of appends we no longer wait for.
	if r.probing && resp.RejectIndex != r.probePrev {
		return
	}
	match := r.match.Load()
	if !r.probing && resp.RejectIndex <= match {
		return
	}
	next := resp.ConflictIndex
	if resp.ConflictTerm != 0 {
		// Continue after our last entry of the follower's conflicting
		// term, when we have that term at all.
		for i := resp.RejectIndex; i > match; i-- {
			t, err := r.n.log.term(i)
			if err != nil || t < resp.ConflictTerm {
				break
			}
			if t == resp.ConflictTerm {
				next = i + 1
				break
			}
		}
	}
	next = max(1, min(next, resp.RejectIndex))
	if next <= match {
		// The follower rejects a position it acknowledged: its log no
		// longer holds what it did (it lost an unsynced tail). Back off
		// below the match rather than probing the same index forever.
		r.n.logger.Warn("raft: follower rejects below its match index", "follower", r.id, "match", match, "reject", resp.RejectIndex)
	}
	r.lastProgress = nanotime()
	r.next = next
	r.probing = true
	r.inflight = r.inflight[:0]
}

// startSnapshot begins streaming the newest snapshot. While it is sent and
// until the follower has caught up from the log after it, the leader keeps
// the log after the snapshot (hold), so the follower continues from the log
// instead of needing a second snapshot (hashicorp/raft #212, #697).
func (r *replicator) startSnapshot() {
	now := nanotime()
	if now < r.snapRetryAt {
		return
	}
	if now-r.lastContact.Load() > int64(r.n.cfg.ElectionTimeoutMin) {
		// Only stream to a follower that answers; try again later.
		r.snapRetryAt = now + int64(r.n.cfg.HeartbeatInterval)
		return
	}
	r.hold.Store(1) // no compaction while we learn which snapshot we send
	meta, rc, err := r.n.snaps.Open()
	if err != nil {
		r.hold.Store(0)
		r.n.logger.Warn("raft: cannot open snapshot for follower", "follower", r.id, "err", err)
		r.snapRetryAt = now + int64(r.n.cfg.ElectionTimeoutMin)
		return
	}
	chunk := r.n.cfg.SnapshotChunkSize
	if limit := r.n.msgLimit; limit > 0 {
		chunk = min(chunk, limit-snapshotOverhead(r.n.id, r.n.addr, meta))
		if chunk <= 0 {
			rc.Close()
			r.hold.Store(0)
			r.n.logger.Error("raft: snapshot configuration does not fit in the transport's messages", "follower", r.id, "max_message_size", limit)
			r.snapRetryAt = now + int64(r.n.cfg.ElectionTimeoutMin)
			return
		}
	}
	r.hold.Store(meta.Index)
	r.snap = &snapSend{meta: meta, rc: rc, br: bufio.NewReaderSize(rc, chunk), chunkSize: chunk}
	r.n.metrics.SnapshotsSent.Add(1)
	r.n.logger.Info("raft: sending snapshot", "follower", r.id, "index", meta.Index)
	if r.readChunk() {
		r.sendChunk()
	}
}

func (r *replicator) closeSnap() {
	if r.snap != nil {
		r.snap.rc.Close()
		r.snap = nil
	}
}

func (r *replicator) readChunk() bool {
	s := r.snap
	buf := make([]byte, s.chunkSize)
	k, err := io.ReadFull(s.br, buf)
	s.chunk = buf[:k]
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		s.done = true
	case err != nil:
		r.n.logger.Warn("raft: read snapshot", "follower", r.id, "err", err)
		r.closeSnap()
		r.snapRetryAt = nanotime() + int64(r.n.cfg.ElectionTimeoutMin)
		return false
	default:
		_, perr := s.br.Peek(1)
		s.done = perr == io.EOF
	}
	return true
}

func (r *replicator) sendChunk() {
	s := r.snap
	r.lastProgress = nanotime()
	r.n.send(r.id, r.addr, &raftwire.Message{InstallSnapshot: &raftwire.InstallSnapshot{
		Term: r.term, LeaderID: r.n.id,
		LastIncludedIndex: s.meta.Index, LastIncludedTerm: s.meta.Term,
		Configuration: s.meta.Configuration, ConfigIndex: s.meta.ConfigIndex,
		Offset: s.offset, Data: s.chunk, Done: s.done, TotalSize: s.meta.Size,
	}})
}

func (r *replicator) handleSnapshotResponse(resp *raftwire.InstallSnapshotResponse) {
	s := r.snap
	if s == nil {
		return
	}
	if !resp.Success {
		// The follower lost its partial snapshot: start over.
		r.closeSnap()
		r.startSnapshot()
		return
	}
	if resp.NextOffset != s.offset+uint64(len(s.chunk)) {
		return // answer to an earlier chunk
	}
	if s.done {
		r.setMatch(s.meta.Index)
		r.next = s.meta.Index + 1
		r.probing = false
		r.inflight = r.inflight[:0]
		r.closeSnap()
		return
	}
	s.offset += uint64(len(s.chunk))
	if r.readChunk() {
		r.sendChunk()
	}
}
