package raft

import (
	"context"
	"fmt"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// AddVoter adds a voting server, or promotes a learner. It returns once the
// change was applied. Changes go one at a time and take effect as soon as
// they are appended (Raft thesis 4.1); add a server as a learner first and
// promote it once it caught up, so the quorum does not wait for it.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	return n.changeConfig(ctx, func(c *raftwire.Configuration) error {
		for i := range c.Servers {
			if c.Servers[i].ID == id {
				c.Servers[i].Suffrage = raftwire.Voter
				if addr != "" {
					c.Servers[i].Address = addr
				}
				return nil
			}
		}
		c.Servers = append(c.Servers, raftwire.Server{ID: id, Address: addr, Suffrage: raftwire.Voter})
		return nil
	})
}

// AddLearner adds a server that receives the log but does not vote.
func (n *Node) AddLearner(ctx context.Context, id, addr string) error {
	return n.changeConfig(ctx, func(c *raftwire.Configuration) error {
		if _, ok := findServer(*c, id); ok {
			return fmt.Errorf("%w: %q is already a member", ErrBadConfiguration, id)
		}
		c.Servers = append(c.Servers, raftwire.Server{ID: id, Address: addr, Suffrage: raftwire.Learner})
		return nil
	})
}

// RemoveServer removes a server. A leader that removes itself steps down
// once the change is committed.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	return n.changeConfig(ctx, func(c *raftwire.Configuration) error {
		for i := range c.Servers {
			if c.Servers[i].ID == id {
				c.Servers = append(c.Servers[:i], c.Servers[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("%w: %q is not a member", ErrBadConfiguration, id)
	})
}

func (n *Node) changeConfig(ctx context.Context, mutate func(*raftwire.Configuration) error) error {
	var f *Future
	var err error
	cerr := n.doCtrl(ctx, func() {
		switch {
		case n.currentRole() != Leader:
			err = ErrNotLeader
			return
		case n.transfer != nil:
			err = ErrTransferInProgress
			return
		}
		latest := n.configs.latest()
		commit := n.commitIdx.Load()
		if latest.index > commit || commit < n.leaderFirstIndex {
			err = ErrConfigChangePending
			return
		}
		c := cloneConfiguration(latest.cfg)
		if err = mutate(&c); err != nil {
			return
		}
		if err = validateConfiguration(c); err != nil {
			return
		}
		var data []byte
		if data, err = encodeConfiguration(c); err != nil {
			return
		}
		f = newFuture(data, uint8(raftwire.EntryConfig))
		n.appendAsLeader([]*Future{f})
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	_, err = f.Wait(ctx)
	return err
}

// onConfigChange follows the latest configuration: replicators on the
// leader, the transport's peer filter everywhere. Core goroutine.
func (n *Node) onConfigChange() {
	n.publishPeers()
	n.syncReplicators()
}

func (n *Node) publishPeers() {
	if pf, ok := n.trans.(PeerFilter); ok {
		pf.SetPeers(cloneConfiguration(n.configs.latest().cfg).Servers)
	}
}
