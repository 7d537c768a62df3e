package replica

import (
	"bytes"
	"slices"
	"strings"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// digest summarises the local state: its sum, the own stream position and
// how far every origin's stream is applied.
func (e *Engine) digest() (*replicawire.Digest, error) {
	sum, err := digestOf(e.cfg.State)
	if err != nil {
		return nil, err
	}
	return &replicawire.Digest{Seq: e.seq, Sum: sum[:], Progress: e.progress()}, nil
}

// progress lists how far each known origin's stream is applied, by origin.
func (e *Engine) progress() []replicawire.Progress {
	var ps []replicawire.Progress
	for _, p := range e.peers {
		if p.epoch != 0 && p.delivered > 0 {
			ps = append(ps, replicawire.Progress{Origin: p.id, Epoch: p.epoch, Seq: p.delivered})
		}
	}
	slices.SortFunc(ps, func(a, b replicawire.Progress) int { return strings.Compare(a.Origin, b.Origin) })
	return ps
}

// antiEntropy sends the next active peer in turn our digest.
func (e *Engine) antiEntropy() {
	var active []*peer
	for _, p := range e.sortedPeers() {
		if p.active {
			active = append(active, p)
		}
	}
	if len(active) == 0 {
		return
	}
	p := active[e.aeNext%len(active)]
	e.aeNext++
	d, err := e.digest()
	if err != nil {
		e.cfg.Logger.Error("replica: digest", "node", e.cfg.ID, "err", err)
		return
	}
	env := e.envelope(p)
	env.Digest = d
	env.Forget = e.digestForget()
	e.queue(p, env)
}

// onDigest compares p's digest with ours. Equal sums mean equal states, so
// both stream positions jump forward and nothing is transferred (answered
// with our digest so p does the same). Different sums on an offer ask for
// p's state; on a periodic digest, they reveal a divergence when both sides
// applied exactly the same deltas, and full states are exchanged.
func (e *Engine) onDigest(p *peer, d *replicawire.Digest) error {
	e.takeDelta() // untaken local changes must not look like a divergence
	mine, err := e.digest()
	if err != nil {
		return err
	}
	if bytes.Equal(mine.Sum, d.Sum) {
		e.stats.DigestMatches++
		p.matchTick = e.now
		e.fastForward(p, d)
		if !d.Reply {
			mine.Reply = true
			env := e.envelope(p)
			env.Digest = mine
			env.Forget = e.digestForget()
			e.queue(p, env)
		}
		return e.drain(p)
	}
	switch {
	case d.Offer:
		env := e.envelope(p)
		env.Pull = true
		e.queue(p, env)
	case !d.Reply && e.sameProgress(p, d, mine):
		e.stats.Repairs++
		e.cfg.Logger.Warn("replica: states diverged although every delta was applied; exchanging full states",
			"node", e.cfg.ID, "peer", p.id)
		env := e.envelope(p)
		env.Pull = true
		e.queue(p, env)
		return e.sendState(p)
	}
	return nil
}

// fastForward moves the stream positions after p's state was found equal to
// ours: ours contains everything p applied, and p's everything we took.
func (e *Engine) fastForward(p *peer, d *replicawire.Digest) {
	if d.Seq > p.delivered {
		p.delivered = d.Seq
	}
	for _, pr := range d.Progress {
		if o := e.peers[pr.Origin]; o != nil && o.epoch == pr.Epoch && pr.Seq > o.delivered {
			o.delivered = pr.Seq
			if err := e.drain(o); err != nil {
				e.cfg.Logger.Warn("replica: drain", "node", e.cfg.ID, "origin", o.id, "err", err)
			}
		}
	}
	if e.seq > p.acked {
		p.acked = e.seq
		p.progressTick = e.now
		e.ackProgress()
	}
	if p.sent < p.acked {
		p.sent = p.acked
	}
	p.offerTick = 0
}

// sameProgress reports whether p (per digest d) and we (per mine) applied
// exactly the same prefix of every live stream: ours, p's and those of our
// other active peers. Streams of origins that are not active (failed or
// gone) are left out: they will not advance any more, so a delta that such
// an origin delivered to only some replicas before it died would otherwise
// keep the replicas apart for ever; a full-state exchange repairs exactly
// that.
func (e *Engine) sameProgress(p *peer, d, mine *replicawire.Digest) bool {
	live := func(origin string) bool {
		if origin == e.cfg.ID || origin == p.id {
			return true
		}
		o := e.peers[origin]
		return o != nil && o.active
	}
	norm := func(ps []replicawire.Progress) []replicawire.Progress {
		ps = slices.DeleteFunc(ps, func(x replicawire.Progress) bool { return x.Seq == 0 || !live(x.Origin) })
		slices.SortFunc(ps, func(a, b replicawire.Progress) int { return strings.Compare(a.Origin, b.Origin) })
		return slices.CompactFunc(ps, func(a, b replicawire.Progress) bool { return a == b })
	}
	theirs := append(slices.Clone(d.Progress), replicawire.Progress{Origin: p.id, Epoch: p.epoch, Seq: d.Seq})
	ours := append(slices.Clone(mine.Progress), replicawire.Progress{Origin: e.cfg.ID, Epoch: e.cfg.Epoch, Seq: e.seq})
	return slices.Equal(norm(theirs), norm(ours))
}
