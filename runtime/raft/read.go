package raft

import (
	"context"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// readReq is a linearizable read waiting for its leadership confirmation.
type readReq struct {
	index uint64
	seq   uint64
	done  chan struct{}
	err   error
}

// ReadIndex makes a linearizable read possible (etcd's ReadIndex, Raft
// thesis 6.4): the leader notes its commit index, confirms it is still the
// leader with a round of heartbeats to a quorum, and ReadIndex returns once
// this server's FSM has applied that index. The caller then reads its FSM
// and sees every write that completed before ReadIndex was called. Only the
// leader serves it; others return ErrNotLeader.
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	req := &readReq{done: make(chan struct{})}
	if err := n.doCtrl(ctx, func() { n.startRead(req) }); err != nil {
		return 0, err
	}
	select {
	case <-req.done:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-n.stopCh:
		return 0, ErrClosed
	}
	if req.err != nil {
		return 0, req.err
	}
	if err := n.waitApplied(ctx, req.index); err != nil {
		return 0, err
	}
	return req.index, nil
}

func (r *readReq) finish(err error) {
	r.err = err
	close(r.done)
}

func (n *Node) startRead(req *readReq) {
	if n.currentRole() != Leader {
		req.finish(ErrNotLeader)
		return
	}
	if n.commitIdx.Load() < n.leaderFirstIndex {
		// Until an entry of its term commits, a new leader does not know
		// the commit index.
		n.readsWaiting = append(n.readsWaiting, req)
		return
	}
	n.issueRead(req)
}

func (n *Node) issueRead(req *readReq) {
	req.index = n.commitIdx.Load()
	req.seq = n.readSeq.Add(1)
	n.reads = append(n.reads, req)
	for _, r := range n.replicators {
		select {
		case r.hbNowCh <- struct{}{}:
		default:
		}
	}
	n.confirmReads()
}

// startWaitingReads issues the reads that waited for the first commit of
// this leader's term.
func (n *Node) startWaitingReads() {
	if len(n.readsWaiting) == 0 || n.commitIdx.Load() < n.leaderFirstIndex {
		return
	}
	w := n.readsWaiting
	n.readsWaiting = nil
	for _, req := range w {
		n.issueRead(req)
	}
}

// confirmReads completes the reads a quorum has answered for. Reads are
// queued in sequence order and a follower's readAck only grows, so they
// complete in order.
func (n *Node) confirmReads() {
	c := n.configs.latest().cfg
	quorum := voterCount(c)/2 + 1
	for len(n.reads) > 0 {
		req := n.reads[0]
		acks := 0
		for _, s := range c.Servers {
			if s.Suffrage != raftwire.Voter {
				continue
			}
			if s.ID == n.id {
				acks++
			} else if r := n.replicators[s.ID]; r != nil && r.readAck.Load() >= req.seq {
				acks++
			}
		}
		if acks < quorum {
			return
		}
		req.finish(nil)
		n.reads = n.reads[1:]
	}
	n.reads = nil
}

func (n *Node) failReads(err error) {
	for _, r := range n.reads {
		r.finish(err)
	}
	for _, r := range n.readsWaiting {
		r.finish(err)
	}
	n.reads, n.readsWaiting = nil, nil
}
