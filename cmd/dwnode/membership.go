package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
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
// peers, dead ones are suspended (they may come back) and, once dead for
// the prune delay, removed for good (see prune.go), as are members that
// left. It runs on every SWIM event and every second.
func (n *Node) membershipLoop(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	left := map[string]uint32{} // members already removed, by incarnation
	lost := map[string]lostMember{}
	dead := map[string]*deadMember{}
	for {
		ms := n.members()
		n.trackDead(dead, ms, n.engine.Peers(), time.Now())
		present := map[string]bool{}
		for _, m := range ms {
			present[m.Name] = true
			switch m.State {
			case swim.StateAlive, swim.StateSuspect:
				lost[m.Name] = lostMember{addr: m.Addr}
			case swim.StateLeft:
				delete(lost, m.Name)
			}
		}
		n.reconnect(ctx, lost, present)
		for _, p := range n.engine.Peers() {
			if !present[p] { // failed and already dropped from SWIM's list
				n.engine.SuspendPeer(p)
			}
		}
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

// lostMember is a member that dropped out of SWIM's list without leaving
// (it failed, or a partition separated it).
type lostMember struct {
	addr     string
	since    time.Time // when it dropped out; zero while present
	lastTry  time.Time
	attempts int
}

// Reconnection to lost members, as serf does: SWIM forgets a member it
// declared dead, and a member that was only cut off has forgotten us, so
// after a partition heals nobody would probe anybody across it.
const (
	reconnectEvery = 2 * time.Second
	reconnectFor   = 10 * time.Minute
)

// reconnect tries a push-pull with members that dropped out of the list,
// every reconnectEvery for reconnectFor after they were lost.
func (n *Node) reconnect(ctx context.Context, lost map[string]lostMember, present map[string]bool) {
	now := time.Now()
	for name, l := range lost {
		if present[name] {
			continue
		}
		if l.since.IsZero() {
			l.since = now
		}
		switch {
		case now.Sub(l.since) > reconnectFor:
			delete(lost, name)
			continue
		case now.Sub(l.lastTry) >= reconnectEvery:
			l.lastTry = now
			l.attempts++
			addr := l.addr
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				jctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				if _, err := n.swim.Join(jctx, addr); err == nil {
					n.log.Info("dwnode: reconnected to a lost member", "member", name, "addr", addr)
					n.signal()
				}
			}()
		}
		lost[name] = l
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

// peerHealth asks another node for its /healthz.
func (n *Node) peerHealth(ctx context.Context, httpAddr string) (nodeapi.Health, error) {
	var h nodeapi.Health
	err := n.call(ctx, http.MethodGet, httpAddr, "/healthz", &h)
	return h, err
}

// askLeave asks another node to leave the cluster gracefully.
func (n *Node) askLeave(ctx context.Context, httpAddr string) error {
	return n.call(ctx, http.MethodPost, httpAddr, "/v1/admin/leave", nil)
}

// call sends a request with this node's token to another node's API and
// decodes a 2xx answer into out (when not nil).
func (n *Node) call(ctx context.Context, method, httpAddr, path string, out interface{ UnmarshalJSON([]byte) error }) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+httpAddr+path, nil)
	if err != nil {
		return err
	}
	if n.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+n.cfg.Token)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out == nil {
		return nil
	}
	return out.UnmarshalJSON(b)
}
