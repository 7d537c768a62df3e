package raft

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// testHookBecomeLeader, when set, is called on the core goroutine each time
// a server becomes leader; the invariant tests use it.
var testHookBecomeLeader atomic.Pointer[func(*Node)]

// step handles one inbound message on the core goroutine, dropping a
// malformed one.
func (n *Node) step(m *raftwire.Message) {
	if err := checkMessage(m); err != nil {
		n.metrics.MalformedMessages.Add(1)
		n.logger.Error("raft: dropping malformed message", "from", m.From, "err", err)
		return
	}
	switch {
	case m.AppendEntries != nil:
		n.handleAppend(m, m.AppendEntries)
	case m.AppendEntriesResponse != nil:
		n.handleAppendResponse(m, m.AppendEntriesResponse)
	case m.RequestVote != nil:
		n.handleRequestVote(m, m.RequestVote)
	case m.RequestVoteResponse != nil:
		n.handleVoteResponse(m.RequestVoteResponse)
	case m.InstallSnapshot != nil:
		n.handleInstallSnapshot(m, m.InstallSnapshot)
	case m.InstallSnapshotResponse != nil:
		n.handleSnapshotResponse(m, m.InstallSnapshotResponse)
	case m.TimeoutNow != nil:
		n.handleTimeoutNow(m.TimeoutNow)
	}
}

// tick runs the timers: elections on followers and candidates; check-quorum,
// the stalled-disk check and transfer deadlines on the leader.
func (n *Node) tick() {
	now := nanotime()
	if n.currentRole() == Leader {
		if since := n.stallSince.Load(); since != 0 && now-since > int64(n.cfg.LogStallTimeout) {
			n.logger.Warn("raft: log store stalled, stepping down", "stalled", now-since)
			n.metrics.StallStepDowns.Add(1)
			n.becomeFollower(n.term.Load(), "", "")
			return
		}
		if n.cfg.CheckQuorum && now-n.lastQuorumCheck >= int64(n.cfg.ElectionTimeoutMin) {
			n.lastQuorumCheck = now
			if !n.quorumActive(now) {
				// This goroutine may itself have been descheduled: look at
				// the answers already queued before concluding.
				n.drainInbound()
				if n.currentRole() != Leader || n.quorumActive(nanotime()) {
					return
				}
				n.logger.Warn("raft: lost contact with a quorum, stepping down", "peers", n.peerAges(now))
				n.becomeFollower(n.term.Load(), "", "")
				return
			}
		}
		n.checkTransfer(now)
		return
	}
	if now < n.electionDeadline {
		return
	}
	// This goroutine may itself have been blocked (a slow inline log
	// write, a pause) while the leader's messages queued: read them before
	// concluding the leader is gone.
	n.drainInbound()
	if now = nanotime(); n.currentRole() == Leader || now < n.electionDeadline || n.err() != nil {
		return // what was queued elected this server, moved its timer or stopped it
	}
	// A follower hears from its leader: keep waiting.
	if n.currentRole() == Follower && n.leader.Load() != nil && now-n.lastContact.Load() < int64(n.cfg.ElectionTimeoutMin) {
		n.electionDeadline = n.lastContact.Load() + int64(n.cfg.ElectionTimeoutMin)
		return
	}
	n.resetElectionDeadline()
	if !isVoter(n.configs.latest().cfg, n.id) {
		return
	}
	if since := n.stallSince.Load(); since != 0 && now-since > int64(n.cfg.LogStallTimeout) {
		return // a server whose disk is stuck must not lead
	}
	n.campaign(n.cfg.PreVote, false)
}

// quorumActive reports whether a quorum of voters was heard from within an
// election timeout.
func (n *Node) quorumActive(now int64) bool {
	c := n.configs.latest().cfg
	active := 0
	for _, s := range c.Servers {
		if s.Suffrage != raftwire.Voter {
			continue
		}
		if s.ID == n.id {
			active++
			continue
		}
		if r := n.replicators[s.ID]; r != nil && now-r.lastContact.Load() < int64(n.cfg.ElectionTimeoutMin) {
			active++
		}
	}
	return active >= voterCount(c)/2+1
}

// campaign starts a pre-vote (pre) or an election. A server at maxTerm
// refuses: its next term would wrap to 0.
func (n *Node) campaign(pre, transfer bool) {
	if t := n.term.Load(); t >= maxTerm {
		n.logger.Error("raft: terms exhausted, not campaigning", "term", t)
		return
	}
	n.metrics.Elections.Add(1)
	n.role.Store(uint32(Candidate))
	n.setLeader("", "")
	n.preVoting = pre
	term := n.term.Load() + 1
	if !pre {
		n.term.Store(term)
		n.vote = n.id
		n.saveHardState()
	}
	n.votes = map[string]bool{n.id: true}
	n.resetElectionDeadline()
	if n.wonVote() {
		return
	}
	lastIdx, lastTerm := n.log.lastIndex(), n.log.lastTerm.Load()
	for _, s := range n.configs.latest().cfg.Servers {
		if s.ID == n.id || s.Suffrage != raftwire.Voter {
			continue
		}
		n.send(s.ID, s.Address, &raftwire.Message{RequestVote: &raftwire.RequestVote{
			Term: term, CandidateID: n.id, LastLogIndex: lastIdx, LastLogTerm: lastTerm,
			PreVote: pre, LeadershipTransfer: transfer,
		}})
	}
}

// wonVote moves on when the votes collected reach a quorum.
func (n *Node) wonVote() bool {
	c := n.configs.latest().cfg
	granted := 0
	for id := range n.votes {
		if isVoter(c, id) {
			granted++
		}
	}
	if granted < voterCount(c)/2+1 {
		return false
	}
	if n.preVoting {
		n.campaign(false, false)
	} else {
		n.becomeLeader()
	}
	return true
}

// inLease reports whether this server currently follows (or is) a live
// leader, in which case it ignores vote requests, pre-votes included
// (check-quorum's lease). Without CheckQuorum there is no lease: a leader
// that never steps down could hold followers that still hear it, but can
// no longer be heard, away from any other candidate for good.
func (n *Node) inLease(now int64) bool {
	if !n.cfg.CheckQuorum {
		return false
	}
	if n.currentRole() == Leader {
		return true
	}
	return n.leader.Load() != nil && now-n.lastContact.Load() < int64(n.cfg.ElectionTimeoutMin)
}

func (n *Node) handleRequestVote(m *raftwire.Message, rv *raftwire.RequestVote) {
	term := n.term.Load()
	reply := func(t uint64, granted bool) {
		n.send(m.From, m.FromAddr, &raftwire.Message{RequestVoteResponse: &raftwire.RequestVoteResponse{
			Term: t, VoteGranted: granted, PreVote: rv.PreVote, VoterID: n.id,
		}})
	}
	if rv.Term < term {
		reply(term, false)
		return
	}
	if rv.Term > term && !rv.LeadershipTransfer && n.inLease(nanotime()) {
		reply(term, false)
		return
	}
	if !rv.PreVote && rv.Term > term {
		n.becomeFollower(rv.Term, "", "")
		term = rv.Term
	}
	lastIdx, lastTerm := n.log.lastIndex(), n.log.lastTerm.Load()
	upToDate := rv.LastLogTerm > lastTerm || (rv.LastLogTerm == lastTerm && rv.LastLogIndex >= lastIdx)
	if rv.PreVote {
		if rv.Term > term && upToDate {
			reply(rv.Term, true)
			return
		}
		reply(term, false)
		return
	}
	if upToDate && (n.vote == "" || n.vote == rv.CandidateID) {
		n.vote = rv.CandidateID
		n.saveHardState()
		n.resetElectionDeadline()
		reply(term, true)
		return
	}
	reply(term, false)
}

func (n *Node) handleVoteResponse(r *raftwire.RequestVoteResponse) {
	term := n.term.Load()
	if r.Term > term && !r.VoteGranted {
		n.becomeFollower(r.Term, "", "")
		return
	}
	if n.currentRole() != Candidate || r.PreVote != n.preVoting {
		return
	}
	want := term
	if n.preVoting {
		want = term + 1
	}
	if r.VoteGranted && r.Term == want {
		n.votes[r.VoterID] = true
		n.wonVote()
	}
}

// becomeFollower adopts term (saving it when it is new) and follows leader
// (which may be unknown).
func (n *Node) becomeFollower(term uint64, leader, leaderAddr string) {
	wasLeader := n.currentRole() == Leader
	oldTerm := n.term.Load()
	newTerm := term > n.term.Load()
	if newTerm {
		n.term.Store(term)
		n.vote = ""
		n.saveHardState()
	}
	n.role.Store(uint32(Follower))
	n.preVoting = false
	n.setLeader(leader, leaderAddr)
	if wasLeader {
		n.stopReplicators()
		n.failReads(ErrNotLeader)
		if n.transfer != nil {
			if newTerm {
				n.endTransfer(nil)
			} else {
				n.endTransfer(ErrLeadershipLost)
			}
		}
		n.pendingAcks = dropSelfAcks(n.pendingAcks)
		// Proposals not committed yet may never reach the applier's
		// index again (no new leader need write that far): resolve them
		// now rather than leave their callers waiting.
		n.lostTerm.Store(oldTerm)
		n.signalCommit()
	}
	n.resetElectionDeadline()
}

func dropSelfAcks(acks []pendingAck) []pendingAck {
	out := acks[:0]
	for _, a := range acks {
		if a.to != "" {
			out = append(out, a)
		}
	}
	return out
}

func (n *Node) becomeLeader() {
	n.logger.Info("raft: became leader", "term", n.term.Load())
	n.role.Store(uint32(Leader))
	n.setLeader(n.id, n.addr)
	n.preVoting = false
	n.selfMatch = 0
	now := nanotime()
	n.lastQuorumCheck = now
	n.leaderFirstIndex = n.log.lastIndex() + 1
	if h := testHookBecomeLeader.Load(); h != nil {
		(*h)(n)
	}
	n.syncReplicators()
	// A no-op entry of the new term commits everything before it.
	f := newFuture(nil, uint8(raftwire.EntryNoop))
	n.appendAsLeader([]*Future{f})
}

func (n *Node) handleTimeoutNow(t *raftwire.TimeoutNow) {
	if t.Term != n.term.Load() || n.currentRole() != Follower || !isVoter(n.configs.latest().cfg, n.id) {
		return
	}
	n.logger.Info("raft: leadership transferred to this server, campaigning")
	n.campaign(false, true)
}

// peerAges describes how long ago each follower answered, for logs.
func (n *Node) peerAges(now int64) string {
	out := ""
	for id, r := range n.replicators {
		out += fmt.Sprintf("%s:%v ", id, time.Duration(now-r.lastContact.Load()))
	}
	return out
}

// drainInbound handles the messages already queued.
func (n *Node) drainInbound() {
	in := n.trans.Inbound()
	for range cap(in) + 1 {
		select {
		case m, ok := <-in:
			if !ok {
				return
			}
			n.step(m)
		default:
			return
		}
	}
}
