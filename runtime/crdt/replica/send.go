package replica

import (
	"github.com/dwsdk/distributed/gen/replicawire"
)

// takeDelta numbers the state's pending local delta and buffers it. It
// reports whether there was one. A small delta is broadcast at once when the
// transport can.
func (e *Engine) takeDelta() bool {
	data, err := e.cfg.State.TakeDelta()
	if err != nil {
		e.cfg.Logger.Error("replica: take delta", "node", e.cfg.ID, "err", err)
		return false
	}
	if len(data) == 0 {
		return false
	}
	e.seq++
	e.stats.DeltasTaken++
	e.buf = append(e.buf, buffered{seq: e.seq, data: data})
	e.bufLen += len(data)
	e.trim()
	e.broadcast(replicawire.Delta{Seq: e.seq, Data: data})
	return true
}

// broadcast hands a fresh delta to a Broadcaster; peers that were up to date
// count it as sent (a lost broadcast is resent by Send after
// RetransmitTicks).
func (e *Engine) broadcast(d replicawire.Delta) {
	b, ok := e.cfg.Transport.(Broadcaster)
	if !ok {
		return
	}
	pruned, forget := e.announcements()
	env := &replicawire.Envelope{
		From:    e.cfg.ID,
		Epoch:   e.cfg.Epoch,
		Replica: e.cfg.Replica,
		Deltas:  &replicawire.Deltas{Items: []replicawire.Delta{d}},
		Pruned:  pruned,
		Forget:  forget,
	}
	if !b.Broadcast(env) {
		return
	}
	e.stats.DeltasBroadcast++
	for _, p := range e.peers {
		if p.active && p.sent == d.Seq-1 && p.acked+1 >= e.base() {
			p.sent = d.Seq
			p.progressTick = e.now
		}
	}
}

// trim drops the oldest buffered deltas beyond the buffer bounds, always
// keeping the newest one.
func (e *Engine) trim() {
	n := 0
	for len(e.buf)-n > 1 && (len(e.buf)-n > e.cfg.MaxBufferedDeltas || e.bufLen > e.cfg.MaxBufferedBytes) {
		e.bufLen -= len(e.buf[n].data)
		n++
	}
	if n > 0 {
		e.stats.DeltasDropped += uint64(n)
		e.buf = append(e.buf[:0:0], e.buf[n:]...)
	}
}

// base returns the oldest sequence number still buffered (seq+1 when the
// buffer is empty). A peer that acknowledged less than base-1 needs the
// full state.
func (e *Engine) base() uint64 {
	if len(e.buf) == 0 {
		return e.seq + 1
	}
	return e.buf[0].seq
}

// sendTo sends peer p what it lacks: the full state (after a digest offer)
// when the buffer no longer covers its position, otherwise unsent deltas, or
// unacknowledged ones again once RetransmitTicks passed without progress.
func (e *Engine) sendTo(p *peer) {
	if !p.active || p.acked >= e.seq {
		return
	}
	if p.acked+1 < e.base() {
		if p.offerTick == 0 || e.now-p.offerTick >= e.cfg.RetransmitTicks {
			e.offerState(p)
		}
		return
	}
	if p.sent < p.acked {
		p.sent = p.acked
	}
	if p.sent < e.seq {
		e.sendDeltas(p)
		return
	}
	if e.now-p.progressTick >= e.cfg.RetransmitTicks {
		p.sent = p.acked // go back: resend everything unacknowledged
		e.sendDeltas(p)
	}
}

// sendDeltas sends p the buffered deltas after p.sent, up to MaxBatchBytes.
func (e *Engine) sendDeltas(p *peer) {
	i := int(p.sent + 1 - e.base()) // index of the first delta to send
	if i < 0 || i >= len(e.buf) {
		return
	}
	var items []replicawire.Delta
	size := 0
	for _, b := range e.buf[i:] {
		if len(items) > 0 && size+len(b.data) > e.cfg.MaxBatchBytes {
			break
		}
		items = append(items, replicawire.Delta{Seq: b.seq, Data: b.data})
		size += len(b.data)
	}
	env := e.envelope(p)
	env.Deltas = &replicawire.Deltas{Items: items}
	e.queue(p, env)
	p.sent = items[len(items)-1].Seq
	p.progressTick = e.now
	e.stats.DeltasSent += uint64(len(items))
}

// offerState sends p a digest offer instead of a full state: p pulls the
// state only when its own digest differs.
func (e *Engine) offerState(p *peer) {
	d, err := e.digest()
	if err != nil {
		e.cfg.Logger.Error("replica: digest", "node", e.cfg.ID, "err", err)
		return
	}
	d.Offer = true
	env := e.envelope(p)
	env.Digest = d
	env.Forget = e.digestForget()
	e.queue(p, env)
	p.offerTick = e.now
}

// sendState sends p the full state, which covers the own stream up to seq.
func (e *Engine) sendState(p *peer) error {
	data, err := e.cfg.State.Snapshot()
	if err != nil {
		e.cfg.Logger.Error("replica: snapshot", "node", e.cfg.ID, "err", err)
		return err
	}
	env := e.envelope(p)
	env.State = &replicawire.State{Seq: e.seq, Data: data}
	env.Refused = e.refused()
	e.queue(p, env)
	e.stats.StatesSent++
	return nil
}

// reclaim drops the buffered deltas every active peer has acknowledged.
// Suspended peers do not hold the buffer: they get the full state back.
func (e *Engine) reclaim() {
	low := e.seq
	for _, p := range e.peers {
		if p.active && p.acked < low {
			low = p.acked
		}
	}
	n := 0
	for n < len(e.buf) && e.buf[n].seq <= low {
		e.bufLen -= len(e.buf[n].data)
		n++
	}
	if n > 0 {
		e.buf = append(e.buf[:0:0], e.buf[n:]...)
	}
}

// onAck records how far p applied our stream (handle refused an ack beyond
// it).
func (e *Engine) onAck(p *peer, a *replicawire.Ack) {
	if a.Seq > p.acked {
		p.acked = a.Seq
		p.progressTick = e.now
		p.offerTick = 0
		e.ackProgress()
	}
	if p.sent < p.acked {
		p.sent = p.acked
	}
	if a.Missing && p.acked+1 >= e.base() {
		p.sent = p.acked // the gap is resent on the next tick
	}
}
