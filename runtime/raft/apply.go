package raft

import (
	"errors"
	"fmt"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// applier is the goroutine that applies committed entries to the FSM in
// batches, resolves the proposers' futures and takes FSM snapshots.
type applier struct {
	n       *Node
	pending map[uint64][]*Future
	// configs follows the configuration as of the applied index, for
	// snapshot metadata.
	configs configHistory
	// storedSnap is the index of the newest snapshot stored, taken or
	// received; reservedSnaps counts the indexes of the snapshots being
	// written (see lastSnapIndex).
	storedSnap    uint64
	reservedSnaps map[uint64]int
	// abandonedTerm is the last lost leadership term handled by abandonLost.
	abandonedTerm uint64
}

func (a *applier) run() {
	n := a.n
	defer n.wg.Done()
	defer a.failPending()
	for {
		select {
		case <-n.stopCh:
			return
		case <-n.commitSig:
		case b := <-n.pendingCh:
			a.addPending(b)
		case meta := <-n.restoreCh:
			a.restore(meta)
		case fn := <-n.applierReq:
			fn(a)
		}
		if !a.applyCommitted() {
			return
		}
		if err := n.err(); err != nil && len(a.pending) > 0 {
			a.failAll(err)
		}
	}
}

// failAll resolves every pending future once a storage failure stopped the
// node: what was committed has been applied, and nothing more commits
// here, though another leader may still commit these entries.
func (a *applier) failAll(err error) {
	err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	for idx, fs := range a.pending {
		for _, f := range fs {
			f.resolve(nil, err)
		}
		delete(a.pending, idx)
	}
}

func (a *applier) addPending(b []*Future) {
	for _, f := range b {
		a.pending[f.Index] = append(a.pending[f.Index], f)
	}
}

func (a *applier) failPending() {
	for {
		select {
		case b := <-a.n.pendingCh:
			a.addPending(b)
			continue
		default:
		}
		break
	}
	for _, fs := range a.pending {
		for _, f := range fs {
			f.resolve(nil, ErrClosed)
		}
	}
	a.pending = nil
}

// applyCommitted applies everything committed. It returns false when the
// node stops.
func (a *applier) applyCommitted() bool {
	n := a.n
	for {
		// Read commit before draining the pending futures: a future is
		// registered before its entry is appended, so every entry up to
		// this commit index has its future queued by now.
		lost := n.lostTerm.Load() // before the drain, like commit
		commit := n.commitIdx.Load()
		for drained := false; !drained; {
			select {
			case b := <-n.pendingCh:
				a.addPending(b)
			case meta := <-n.restoreCh:
				a.restore(meta)
			default:
				drained = true
			}
		}
		if lost > a.abandonedTerm {
			a.abandonLost(lost, commit)
			a.abandonedTerm = lost
		}
		applied := n.appliedIdx.Load()
		if applied >= commit {
			return true
		}
		hi := min(commit, applied+uint64(n.cfg.MaxAppendEntries)) + 1
		ents, err := n.log.entries(applied+1, hi, n.cfg.MaxAppendBytes)
		if errors.Is(err, ErrCompacted) {
			// A snapshot from the leader replaced these entries: wait for
			// the core to hand it over.
			select {
			case meta := <-n.restoreCh:
				a.restore(meta)
				continue
			case <-n.stopCh:
				return false
			}
		}
		if err != nil {
			n.fail(fmt.Errorf("%w: read committed entries from %d: %v", ErrStorage, applied+1, err))
			return true
		}
		for i := range ents {
			e := &ents[i]
			var resp any
			switch e.Type {
			case raftwire.EntryNormal:
				resp = n.fsm.Apply(e.Index, e.Data)
			case raftwire.EntryConfig:
				if c, err := decodeConfiguration(e.Data); err == nil {
					a.configs.add(e.Index, c)
				}
			}
			if fs, ok := a.pending[e.Index]; ok {
				delete(a.pending, e.Index)
				for _, f := range fs {
					if f.Term == e.Term {
						f.resolve(resp, nil)
					} else {
						f.resolve(nil, ErrLeadershipLost)
					}
				}
			}
		}
		last := ents[len(ents)-1].Index
		n.appliedIdx.Store(last)
		n.metrics.Applied.Add(uint64(len(ents)))
		sig := make(chan struct{})
		old := n.appliedSig.Swap(&sig)
		close(*old)
		if th := n.cfg.SnapshotThreshold; th > 0 && last-a.lastSnapIndex() >= th && n.snapRetry.due(time.Now()) {
			a.takeSnapshot(nil)
		}
	}
}

// restore replaces the FSM's state with the newest snapshot, which the
// core has just received from the leader.
func (a *applier) restore(meta raftwire.SnapshotMeta) {
	n := a.n
	if meta.Index <= n.appliedIdx.Load() {
		return
	}
	got, rc, err := n.snaps.Open()
	if err != nil {
		n.fail(fmt.Errorf("%w: open received snapshot %d: %v", ErrStorage, meta.Index, err))
		return
	}
	defer rc.Close()
	if got.Index < meta.Index {
		n.fail(fmt.Errorf("%w: snapshot store returned index %d, want %d", ErrStorage, got.Index, meta.Index))
		return
	}
	// A newer snapshot may have been received meanwhile: restore that one;
	// its own request will then find nothing to do.
	meta = got
	if err := n.fsm.Restore(rc); err != nil {
		n.fail(fmt.Errorf("raft: restore snapshot %d: %w", meta.Index, err))
		return
	}
	a.configs.reset(meta.ConfigIndex, cloneConfiguration(meta.Configuration))
	a.storedSnap = meta.Index
	for idx, fs := range a.pending {
		if idx <= meta.Index {
			// Replaced by the snapshot: the outcome is unknown here, but
			// these futures belong to a former leadership of this server.
			for _, f := range fs {
				f.resolve(nil, ErrOutcomeUnknown)
			}
			delete(a.pending, idx)
		}
	}
	n.appliedIdx.Store(meta.Index)
	n.metrics.SnapshotsInstalled.Add(1)
	sig := make(chan struct{})
	old := n.appliedSig.Swap(&sig)
	close(*old)
}

// abandonLost resolves, with ErrOutcomeUnknown, the futures of a leadership
// this server lost whose entries were not committed by then: another leader
// may still commit them or overwrite them, or never write that far, so
// waiting for their index could block the caller forever. Futures of a
// later leadership (a higher term) are kept.
func (a *applier) abandonLost(lost, commit uint64) {
	for idx, fs := range a.pending {
		if idx <= commit {
			continue // applied next, with its real outcome
		}
		kept := fs[:0]
		for _, f := range fs {
			if f.Term <= lost {
				f.resolve(nil, ErrOutcomeUnknown)
			} else {
				kept = append(kept, f)
			}
		}
		if len(kept) == 0 {
			delete(a.pending, idx)
		} else {
			a.pending[idx] = kept
		}
	}
}
