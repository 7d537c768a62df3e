package replica

import (
	"fmt"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// onDeltas applies p's deltas in stream order: a delta right after the last
// applied one is merged, an older one is a duplicate, a later one waits in
// the pending buffer until the gap before it fills. No delta is ever merged
// across a gap. The ack tells p how far we got and whether a gap is open.
func (e *Engine) onDeltas(p *peer, items []replicawire.Delta) error {
	var err error
	for _, d := range items {
		switch {
		case d.Seq <= p.delivered:
			e.stats.DeltasDuplicate++
		case d.Seq == p.delivered+1:
			err = e.apply(p, d.Seq, d.Data)
		default:
			if p.pending == nil {
				p.pending = make(map[uint64][]byte)
			}
			if len(p.pending) == 0 {
				p.gapTick = e.now
			}
			if _, ok := p.pending[d.Seq]; !ok && len(p.pending) < e.cfg.MaxPendingDeltas {
				p.pending[d.Seq] = d.Data
				e.stats.DeltasHeld++
			}
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		err = e.drain(p)
	}
	e.ack(p)
	return err
}

// apply merges delta seq of p's stream, which must directly follow the last
// applied one. When the state refuses it, the engine pulls p's full state,
// which covers the delta, instead of waiting for the same bytes again.
func (e *Engine) apply(p *peer, seq uint64, data []byte) error {
	if err := e.cfg.State.MergeDelta(data); err != nil {
		e.stats.MergeErrors++
		env := e.envelope(p)
		env.Pull = true
		e.queue(p, env)
		return fmt.Errorf("replica: merge delta %d from %q (epoch %d): %w", seq, p.id, p.epoch, err)
	}
	p.delivered = seq
	p.gapTick = e.now
	e.stats.DeltasApplied++
	return nil
}

// drain applies pending deltas that no longer wait behind a gap and drops
// those already covered.
func (e *Engine) drain(p *peer) error {
	for seq := range p.pending {
		if seq <= p.delivered {
			delete(p.pending, seq)
		}
	}
	for {
		data, ok := p.pending[p.delivered+1]
		if !ok {
			return nil
		}
		delete(p.pending, p.delivered+1)
		if err := e.apply(p, p.delivered+1, data); err != nil {
			return err
		}
	}
}

// pullStuckGaps asks a peer for its full state when deltas have waited
// behind a gap for 2*RetransmitTicks without the gap filling. Resends
// normally fill it; this covers a sender that believes the gap was already
// acknowledged (its digest matched ours while our stream position lagged)
// or no longer buffers it.
func (e *Engine) pullStuckGaps() {
	for _, p := range e.sortedPeers() {
		if len(p.pending) == 0 {
			continue
		}
		if p.gapTick == 0 {
			p.gapTick = e.now
			continue
		}
		if e.now-p.gapTick >= 2*e.cfg.RetransmitTicks {
			p.gapTick = e.now
			e.stats.GapPulls++
			env := e.envelope(p)
			env.Pull = true
			e.queue(p, env)
		}
	}
}

// ack tells p how far its stream is applied.
func (e *Engine) ack(p *peer) {
	env := e.envelope(p)
	env.Ack = &replicawire.Ack{Seq: p.delivered, Missing: len(p.pending) > 0}
	e.queue(p, env)
}

// onState merges p's full state, which covers p's stream up to s.Seq.
func (e *Engine) onState(p *peer, s *replicawire.State, refused []string) error {
	if err := e.cfg.State.MergeState(s.Data); err != nil {
		e.stats.MergeErrors++
		return fmt.Errorf("replica: merge state %d from %q (epoch %d): %w", s.Seq, p.id, p.epoch, err)
	}
	e.stats.StatesApplied++
	e.onRefused(p, refused)
	if s.Seq > p.delivered {
		p.delivered = s.Seq
	}
	err := e.drain(p)
	e.ack(p)
	return err
}
