package swim

import (
	"errors"
	"math"
	"time"

	"github.com/dwsdk/distributed/gen/swimwire"
)

// gossipTick sends queued broadcasts to GossipNodes random members (alive,
// suspect, or recently dead so that they can refute).
func (n *Node) gossipTick() {
	n.gossipTimer = n.after(n.cfg.GossipInterval, n.gossipTick)
	n.gossipRound()
}

// eagerGossip runs a gossip round right away (coalescing the news queued
// in the same step) instead of at the next tick: a death is pushed without
// waiting up to a GossipInterval at every hop. The
// retransmit limit is unchanged, so this costs no extra transmissions.
func (n *Node) eagerGossip() {
	if n.eagerPending {
		return
	}
	n.eagerPending = true
	n.after(0, func() {
		n.eagerPending = false
		n.gossipRound()
	})
}

func (n *Node) gossipRound() {
	n.sendReminders()
	if n.sys.len()+n.user.len() == 0 {
		return
	}
	deadline := n.now() - int64(n.cfg.GossipToTheDeadTime)
	targets := n.randomMembers(n.cfg.GossipNodes, func(m *member) bool {
		return m.state <= StateSuspect || (m.state == StateDead && m.since > deadline)
	})
	limit := n.cfg.MTU - overhead(n.kr, n.cfg.Label)
	addrs := make([]string, len(targets))
	for i, t := range targets {
		addrs[i] = t.info.addr
	}
	for _, addr := range addrs {
		if msgs := n.piggyback(nil, addr, limit); len(msgs) > 0 {
			n.sendCompound(addr, msgs)
		}
	}
}

// pushPullScale stretches the push-pull interval in large clusters so the
// full-state traffic per member stays bounded.
func pushPullScale(interval time.Duration, n int) time.Duration {
	if n <= 32 {
		return interval
	}
	return interval * time.Duration(math.Ceil(math.Log2(float64(n))-math.Log2(32))+1)
}

func (n *Node) pushPullTick() {
	n.pushPullTimer = n.after(pushPullScale(n.cfg.PushPullInterval, n.live), n.pushPullTick)
	n.pushPullRandom(true)
}

// pushPullRandom exchanges full state with a random alive member, unless
// this node is leaving; with orDead, with a member alive or dead (not
// left) chosen alike, so an exchange goes to a dead one in proportion to
// their number. That is how a partition heals: once each side has
// declared the other dead, nothing else crosses between them (memberlist
// has no such exchange and stays split, metallb#589; Serf reconnects to
// failed members this way). Members are forgotten ReapTime after they
// die, so a partition heals by itself if it lasted under about ReapTime;
// after a longer one, Join a member of the other side. An exchange with
// a member that is really gone costs a refused or timed-out stream.
func (n *Node) pushPullRandom(orDead bool) {
	if n.leaving {
		return
	}
	peers := n.randomMembers(1, func(m *member) bool { return m.state == StateAlive || (orDead && m.state == StateDead) })
	if len(peers) == 1 {
		n.pushPull(peers[0].info.addr, false, nil)
	}
}

// pushPull exchanges full state with addr over a stream.
func (n *Node) pushPull(addr string, join bool, done func(error)) {
	req := mustEncode(msgPushPull, &swimwire.PushPull{Join: join, Nodes: n.localState()})
	n.request(addr, req, n.cfg.TCPTimeout, func(reply []frame, err error) {
		if err == nil {
			var pp any
			if len(reply) == 1 && reply[0].t == msgPushPull {
				pp, err = decodeFrame(reply[0])
			} else {
				err = ErrMalformed
			}
			if err == nil {
				// A member joining afresh (it knows nobody else yet) takes
				// in the seed's view quietly: in a settled cluster all of it
				// is old news, and retransmitting every member's alive
				// RetransmitMult*ceil(log10(n+1)) times was the bulk of a
				// join's traffic (memberlist does). What is still being
				// gossiped reaches it again and is relayed then (aliveNode),
				// so news in flight spreads as before. A member that knows
				// others (merging clusters, periodic exchanges) relays all.
				from := fromState
				if join && n.live <= 1 {
					from = fromJoinState
				}
				n.mergeState(pp.(*swimwire.PushPull).Nodes, from)
				if join {
					n.scheduleJoinSync()
				}
			}
		}
		switch {
		case errors.Is(err, ErrTooLarge):
			// Lasting, and it stops joins: say it where it is seen.
			n.log.Warn("swim: push-pull: member table too large for a stream", "with", addr, "members", len(n.members), "err", err)
		case err != nil:
			n.log.Debug("swim: push-pull", "with", addr, "err", err)
		}
		if done != nil {
			done(err)
		}
	})
}

// scheduleJoinSync has a member that just joined exchange state once more,
// with a random member, once the news of the members that joined at about
// the same time has had its retransmissions (RetransmitMult*ceil(log10(n+1))
// gossip intervals). The seed's state gave it the members that joined
// before it; gossip gives it those that join after, but when many members
// join at once (a cluster starting) one of them misses one of the others
// with a small probability: under 10% loss a simulated 100-member start
// left a member unaware of another in 1 of 30 seeds, until the periodic
// push-pull up to a minute and a half later. This repairs it within
// seconds, at the cost of one more full-state exchange per join.
func (n *Node) scheduleJoinSync() {
	if n.cfg.PushPullInterval == 0 || n.joinSyncTimer != nil {
		return
	}
	d := time.Duration(retransmitLimit(n.cfg.RetransmitMult, n.live)) * n.cfg.GossipInterval
	n.joinSyncTimer = n.after(d, func() { n.pushPullRandom(false) })
}

// remindGone notes that m, which this node holds dead or left, is still
// announced alive at an incarnation no newer than that: most likely a
// process restarted in place that never heard of its death, because the
// member it joined through did not know it (a member that joined since,
// or one restarted as well) and the death is no longer gossiped. Nobody
// else will tell it, as nobody gossips to it; memberlist drops the alive
// news too, and the member stays dead until a push-pull happens to carry
// its death to it (hashicorp/memberlist#311). The next gossip round tells
// it directly (sendReminders), so it refutes.
func (n *Node) remindGone(m *member) {
	if !m.reminded {
		m.reminded = true
		n.remind = append(n.remind, n.names.name(m.id))
	}
}

// sendReminders sends each member noted by remindGone, in one packet, how
// this node holds it: one packet per member and gossip round however many
// stale (or forged) alive messages named it.
func (n *Node) sendReminders() {
	for _, name := range n.remind {
		_, m := n.lookupName(name)
		if m == nil {
			continue // reaped meanwhile
		}
		m.reminded = false
		if m.state < StateDead {
			continue // revived meanwhile
		}
		from := n.cfg.Name
		if m.state == StateLeft {
			from = name // a leave, as the member announced it
		}
		n.sendCompound(m.info.addr, [][]byte{mustEncode(msgDead, &swimwire.Dead{Incarnation: m.inc, Node: name, From: from})})
	}
	n.remind = n.remind[:0]
}
