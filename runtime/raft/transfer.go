package raft

import (
	"context"
	"errors"
	"fmt"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// ErrTransferTimeout is returned when the target did not take over in time.
var ErrTransferTimeout = errors.New("raft: leadership transfer timed out")

type transferState struct {
	target   string
	deadline int64
	sent     bool
	term     uint64
	done     chan error
}

// TransferLeadership hands leadership to the voter id (or, when id is
// empty, to the most up-to-date voter): the leader stops accepting
// proposals, brings the target's log up to date, and sends it TimeoutNow so
// it starts an election at once (Raft thesis 3.10). It returns once this
// server stepped down, or ErrTransferTimeout after an election timeout.
func (n *Node) TransferLeadership(ctx context.Context, id string) error {
	var st *transferState
	var err error
	cerr := n.doCtrl(ctx, func() {
		if n.currentRole() != Leader {
			err = ErrNotLeader
			return
		}
		if n.transfer != nil {
			err = ErrTransferInProgress
			return
		}
		c := n.configs.latest().cfg
		if id == "" {
			best := uint64(0)
			for _, s := range c.Servers {
				if r := n.replicators[s.ID]; r != nil && s.Suffrage == raftwire.Voter && (id == "" || r.match.Load() > best) {
					id, best = s.ID, r.match.Load()
				}
			}
		}
		if id == n.id || !isVoter(c, id) || n.replicators[id] == nil {
			err = fmt.Errorf("raft: transfer leadership to %q: not another voter", id)
			return
		}
		st = &transferState{
			target: id, term: n.term.Load(), done: make(chan error, 1),
			deadline: nanotime() + int64(n.cfg.ElectionTimeoutMax),
		}
		n.transfer = st
		select {
		case n.replicators[id].notifyCh <- struct{}{}:
		default:
		}
		n.checkTransfer(nanotime())
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	select {
	case err := <-st.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkTransfer sends TimeoutNow once the target has the whole log, and
// gives up at the deadline. Core goroutine.
func (n *Node) checkTransfer(now int64) {
	t := n.transfer
	if t == nil {
		return
	}
	if now > t.deadline {
		n.endTransfer(ErrTransferTimeout)
		return
	}
	r := n.replicators[t.target]
	if r == nil {
		n.endTransfer(fmt.Errorf("raft: transfer leadership: %q left the configuration", t.target))
		return
	}
	if !t.sent && r.match.Load() >= n.log.lastIndex() {
		t.sent = true
		n.send(r.id, r.addr, &raftwire.Message{TimeoutNow: &raftwire.TimeoutNow{Term: n.term.Load(), LeaderID: n.id}})
	}
}

func (n *Node) endTransfer(err error) {
	n.transfer.done <- err
	n.transfer = nil
}
