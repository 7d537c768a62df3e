package main

import (
	"context"
	"net/http"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/dwsdk/distributed/runtime/swim"
)

// memberInfo is a SWIM member with its decoded metadata.
type memberInfo struct {
	swim.Member
	meta nodeapi.NodeMeta
}

// members returns every member SWIM knows, with decoded metadata (members
// whose metadata does not decode are reported without it).
func (n *Node) members() []memberInfo {
	ms := n.swim.Members()
	out := make([]memberInfo, 0, len(ms))
	for _, m := range ms {
		mi := memberInfo{Member: m}
		if err := mi.meta.UnmarshalBinary(m.Meta); err != nil {
			n.log.Debug("dwnode: member metadata", "member", m.Name, "err", err)
		}
		out = append(out, mi)
	}
	return out
}

// membershipLoop keeps the replica engine's peers and (on the Raft leader)
// the Raft configuration in line with SWIM: alive and suspect members are
// peers, dead ones are suspended (they may come back), members that left
// are removed for good. It runs on every SWIM event and every second.
func (n *Node) membershipLoop(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	left := map[string]uint32{} // members already removed, by incarnation
	for {
		ms := n.members()
		for _, m := range ms {
			if m.Name == n.cfg.Name {
				continue
			}
			switch m.State {
			case swim.StateAlive, swim.StateSuspect:
				n.engine.AddPeer(m.Name)
				delete(left, m.Name)
			case swim.StateDead:
				n.engine.SuspendPeer(m.Name)
			case swim.StateLeft:
				if inc, ok := left[m.Name]; !ok || inc != m.Incarnation {
					left[m.Name] = m.Incarnation
					if err := n.engine.RemovePeer(m.Name); err != nil {
						n.log.Warn("dwnode: prune departed replica", "member", m.Name, "err", err)
					}
				}
			}
		}
		n.kv.reconcile(ctx, ms)
		n.metrics.setMembers(ms)
		select {
		case <-ctx.Done():
			return nil
		case <-n.changed:
		case <-t.C:
		}
	}
}

// leaderHTTP returns the HTTP address of the Raft leader, or "".
func (n *Node) leaderHTTP() string {
	leader := n.kv.status().Leader
	if leader == "" {
		return ""
	}
	if leader == n.cfg.Name {
		return n.httpLn.Addr().String()
	}
	for _, m := range n.members() {
		if m.Name == leader {
			return m.meta.HTTPAddr
		}
	}
	return ""
}

func (n *Node) handleMembers(w http.ResponseWriter, r *http.Request) {
	out := &nodeapi.Members{Self: n.cfg.Name}
	for _, m := range n.members() {
		out.Members = append(out.Members, nodeapi.Member{
			Name: m.Name, Addr: m.Addr, State: m.State.String(), Incarnation: m.Incarnation,
			RaftAddr: m.meta.RaftAddr, HTTPAddr: m.meta.HTTPAddr,
		})
	}
	writeJSON(w, http.StatusOK, out)
}
