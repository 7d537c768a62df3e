package raft

import (
	"fmt"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// writeOp is one request to the log writer: append entries (deleting any
// conflicting suffix) or, with compactTo set, drop the prefix up to it, or
// with reset also set, the whole log (LogStore.Reset).
type writeOp struct {
	seq       uint64
	entries   []raftwire.Entry
	compactTo uint64
	reset     bool
}

// writeDone reports that every write up to seq is durable.
type writeDone struct {
	seq uint64
	err error
}

// runWriter persists the log in the order the core queued the writes.
// Consecutive contiguous appends are merged into one LogStore.Append, so
// every proposal waiting at that moment shares one fsync (group commit).
func (n *Node) runWriter() {
	defer n.wg.Done()
	var pendingOp *writeOp
	for {
		var op *writeOp
		if pendingOp != nil {
			op, pendingOp = pendingOp, nil
		} else {
			select {
			case <-n.stopCh:
				return
			case op = <-n.writeCh:
			}
		}
		var err error
		if op.reset {
			if err = n.log.store.Reset(op.compactTo); err != nil {
				err = fmt.Errorf("%w: discard log for snapshot %d: %v", ErrStorage, op.compactTo, err)
			}
		} else if op.compactTo > 0 {
			if err = n.log.store.TruncatePrefix(op.compactTo); err != nil {
				err = fmt.Errorf("%w: compact log to %d: %v", ErrStorage, op.compactTo, err)
			}
		} else {
			ents, seq := op.entries, op.seq
		merge:
			for len(ents) < 4*n.cfg.MaxAppendEntries {
				select {
				case next := <-n.writeCh:
					if next.compactTo == 0 && next.entries[0].Index == ents[len(ents)-1].Index+1 {
						if len(ents) == len(op.entries) {
							ents = append([]raftwire.Entry(nil), ents...)
						}
						ents = append(ents, next.entries...)
						seq = next.seq
						continue
					}
					pendingOp = next
					break merge
				default:
					break merge
				}
			}
			n.stallSince.Store(nanotime())
			err = n.log.store.Append(ents)
			n.stallSince.Store(0)
			if err != nil {
				err = fmt.Errorf("%w: append entries [%d, %d]: %v", ErrStorage, ents[0].Index, ents[len(ents)-1].Index, err)
			} else {
				n.log.markPersisted(seq, ents[len(ents)-1].Index)
			}
			op = &writeOp{seq: seq}
		}
		select {
		case n.writeDoneCh <- writeDone{seq: op.seq, err: err}:
		case <-n.stopCh:
			return
		}
	}
}
