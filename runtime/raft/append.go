package raft

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// acceptLeader handles the term of a message from a leader. It returns
// false when the message is from a stale term (already answered by reject).
func (n *Node) acceptLeader(m *raftwire.Message, term uint64, leaderID string) bool {
	cur := n.term.Load()
	if term < cur {
		return false
	}
	if term > cur || n.currentRole() != Follower {
		n.becomeFollower(term, leaderID, m.FromAddr)
	} else {
		n.setLeader(leaderID, m.FromAddr)
	}
	n.lastContact.Store(nanotime())
	return true
}

// handleAppend is the follower side of AppendEntries, which step checked
// with checkMessage. A heartbeat touches
// only atomics and the core goroutine's own fields: no lock.
func (n *Node) handleAppend(m *raftwire.Message, a *raftwire.AppendEntries) {
	resp := &raftwire.AppendEntriesResponse{FollowerID: n.id, Heartbeat: a.Heartbeat, ReadContext: a.ReadContext}
	out := &raftwire.Message{AppendEntriesResponse: resp}
	if !n.acceptLeader(m, a.Term, a.LeaderID) {
		resp.Term = n.term.Load()
		n.send(m.From, m.FromAddr, out)
		return
	}
	resp.Term = a.Term
	if a.Heartbeat {
		n.metrics.HeartbeatsReceived.Add(1)
		n.commitTo(min(a.LeaderCommit, n.log.lastIndex()))
		resp.Success = true
		resp.LastLogIndex = n.log.lastIndex()
		n.send(m.From, m.FromAddr, out)
		return
	}
	last := n.log.lastIndex()
	prev := a.PrevLogIndex
	if prev > last {
		resp.RejectIndex = prev
		resp.ConflictIndex = last + 1
		resp.LastLogIndex = last
		n.send(m.From, m.FromAddr, out)
		return
	}
	entries := a.Entries
	prevTerm := a.PrevLogTerm
	first := n.log.firstIndex()
	if prev+1 < first {
		// The prefix is covered by our snapshot, hence committed and equal.
		skip := min(uint64(len(entries)), first-1-prev)
		if skip > 0 {
			prevTerm = entries[skip-1].Term
		}
		entries = entries[skip:]
		prev += skip
	}
	t, err := n.log.term(prev)
	compacted := prev < first && errors.Is(err, ErrCompacted) // covered by our snapshot: matches
	if prev < first {
		compacted = true // at or below our snapshot: committed, so it matches
	}
	if !compacted && (err != nil || t != prevTerm) {
		if err != nil {
			n.logger.Error("raft: read term", "index", prev, "err", err)
			return
		}
		resp.RejectIndex = a.PrevLogIndex
		resp.ConflictTerm = t
		resp.LastLogIndex = last
		// Point at the first entry of the conflicting term, so the leader
		// skips the whole term in one round trip.
		ci := prev
		for ci > first {
			pt, err := n.log.term(ci - 1)
			if err != nil || pt != t {
				break
			}
			ci--
		}
		resp.ConflictIndex = ci
		n.send(m.From, m.FromAddr, out)
		return
	}
	// Skip the entries we already hold; cut our log at the first conflict.
	for len(entries) > 0 && entries[0].Index <= last {
		t, err := n.log.term(entries[0].Index)
		if err == nil && t == entries[0].Term {
			entries = entries[1:]
			continue
		}
		if entries[0].Index <= n.commitIdx.Load() {
			n.logger.Error("raft: leader would overwrite a committed entry; ignoring append", "index", entries[0].Index)
			return
		}
		n.configs.truncateFrom(entries[0].Index)
		n.onConfigChange()
		break
	}
	if len(entries) > 0 {
		n.appendEntries(entries, true)
	}
	match := a.PrevLogIndex + uint64(len(a.Entries))
	n.commitTo(min(a.LeaderCommit, match))
	resp.Success = true
	resp.LastLogIndex = match
	if n.writeDoneSeq == n.writeSeq {
		n.send(m.From, m.FromAddr, out)
		return
	}
	n.pendingAcks = append(n.pendingAcks, pendingAck{
		seq: n.writeSeq, term: a.Term, to: m.From, addr: m.FromAddr, match: match, readCtx: a.ReadContext,
	})
}

// checkAppend reports why a's entries cannot follow PrevLogIndex in the
// log of a leader of a.Term: they must be contiguous from PrevLogIndex+1,
// with terms that never decrease (from PrevLogTerm on) nor exceed a.Term.
// Appending anything else would leave a gap or a non-monotonic log.
func checkAppend(a *raftwire.AppendEntries) error {
	if a.PrevLogTerm > a.Term {
		return fmt.Errorf("previous entry %d has term %d, above the leader's term %d", a.PrevLogIndex, a.PrevLogTerm, a.Term)
	}
	prevTerm := a.PrevLogTerm
	for i := range a.Entries {
		e := &a.Entries[i]
		if want := a.PrevLogIndex + 1 + uint64(i); e.Index != want || want == 0 {
			return fmt.Errorf("entry %d has index %d, want %d (previous index %d)", i, e.Index, want, a.PrevLogIndex)
		}
		if e.Term < prevTerm || e.Term > a.Term {
			return fmt.Errorf("entry %d (index %d) has term %d, want one in [%d, %d]", i, e.Index, e.Term, prevTerm, a.Term)
		}
		prevTerm = e.Term
	}
	return nil
}

// handleAppendResponse is the leader side: contact and read confirmations
// are recorded here, the rest goes to the follower's replication goroutine.
func (n *Node) handleAppendResponse(m *raftwire.Message, r *raftwire.AppendEntriesResponse) {
	term := n.term.Load()
	if r.Term > term {
		n.becomeFollower(r.Term, "", "")
		return
	}
	if r.Term < term || n.currentRole() != Leader {
		return
	}
	rep := n.replicators[m.From]
	if rep == nil {
		return
	}
	rep.lastContact.Store(nanotime())
	if r.ReadContext > rep.readAck.Load() {
		rep.readAck.Store(r.ReadContext)
		n.confirmReads()
	}
	if r.Heartbeat {
		if r.LastLogIndex >= rep.match.Load() && rep.match.Load() == n.log.lastIndex() {
			return // an idle, caught-up follower: nothing for the replicator
		}
	} else if r.Success && rep.advanceMatch(r.LastLogIndex) {
		// Commit right here rather than after a round trip through the
		// replicator: it only needs the ack for flow control.
		n.advanceCommit()
	}
	rep.deliver(m)
}

// advanceCommit moves the commit index to the highest index stored by a
// quorum of voters, once that index is of the leader's term.
func (n *Node) advanceCommit() {
	if n.currentRole() != Leader {
		return
	}
	c := n.configs.latest().cfg
	var buf [16]uint64
	matches := buf[:0]
	for _, s := range c.Servers {
		if s.Suffrage != raftwire.Voter {
			continue
		}
		if s.ID == n.id {
			matches = append(matches, n.selfMatch)
		} else if r := n.replicators[s.ID]; r != nil {
			matches = append(matches, r.match.Load())
		} else {
			matches = append(matches, 0)
		}
	}
	if len(matches) == 0 {
		return
	}
	slices.Sort(matches)
	q := matches[len(matches)-(len(matches)/2+1)]
	if q <= n.commitIdx.Load() || q < n.leaderFirstIndex {
		return
	}
	n.commitTo(q)
	n.notifyReplicators()
	n.startWaitingReads()
	n.checkTransfer(nanotime())
	// A leader removed from the configuration steps down once its removal
	// is committed.
	latest := n.configs.latest()
	if latest.index <= q {
		if _, ok := findServer(latest.cfg, n.id); !ok {
			n.logger.Info("raft: removed from the configuration, stepping down")
			n.becomeFollower(n.term.Load(), "", "")
		}
	}
}
