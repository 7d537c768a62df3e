package replica

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// Keyed is a State made of many independent records, each a State of its
// own, named by a key: a table of CRDT records replicated by one engine. Its
// delta carries the deltas of the records that changed, its snapshot every
// record, both as a replicawire.KeyedBatch sorted by key (so equal states
// encode to equal bytes). A key seen for the first time in a peer's delta or
// state creates its record through the factory. Keys are never removed.
//
// Keyed is safe for concurrent use; the records must be too, since Update's
// callers and the engine's merges reach them concurrently.
type Keyed struct {
	mu      sync.Mutex
	records map[string]State
	dirty   map[string]bool
	factory func(key string) (State, error)
}

// ErrUnknownKey is returned (wrapped) by the factory for keys it does not
// know how to create, and by Get for keys that do not exist.
var ErrUnknownKey = errors.New("replica: unknown key")

// NewKeyed returns an empty keyed state whose records are created by
// factory.
func NewKeyed(factory func(key string) (State, error)) *Keyed {
	return &Keyed{records: map[string]State{}, dirty: map[string]bool{}, factory: factory}
}

// Update runs f on the record of key, creating it when needed, and marks it
// changed so its delta is taken on the next TakeDelta.
func (k *Keyed) Update(key string, f func(State) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	r, err := k.get(key)
	if err != nil {
		return err
	}
	k.dirty[key] = true
	return f(r)
}

// Get returns the record of key, for reading. Change it only through
// Update: a change made directly is not marked, so its delta is not taken
// until the next Update of that key.
func (k *Keyed) Get(key string) (State, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	r, ok := k.records[key]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, key)
	}
	return r, nil
}

// Keys returns the keys of all records, sorted.
func (k *Keyed) Keys() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := make([]string, 0, len(k.records))
	for key := range k.records {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}

// get returns the record of key, creating it. k.mu is held.
func (k *Keyed) get(key string) (State, error) {
	if r, ok := k.records[key]; ok {
		return r, nil
	}
	r, err := k.factory(key)
	if err != nil {
		return nil, fmt.Errorf("replica: keyed: create %q: %w", key, err)
	}
	k.records[key] = r
	return r, nil
}

// TakeDelta implements State: the deltas of the records changed since the
// previous call.
func (k *Keyed) TakeDelta() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.dirty) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(k.dirty))
	for key := range k.dirty {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	var b replicawire.KeyedBatch
	for _, key := range keys {
		d, err := k.records[key].TakeDelta()
		if err != nil {
			return nil, fmt.Errorf("replica: keyed: take delta of %q: %w", key, err)
		}
		delete(k.dirty, key)
		if len(d) > 0 {
			b.Items = append(b.Items, replicawire.KeyedItem{Key: key, Data: d})
		}
	}
	if len(b.Items) == 0 {
		return nil, nil
	}
	return b.MarshalBinary()
}

// MergeDelta implements State.
func (k *Keyed) MergeDelta(delta []byte) error {
	return k.merge(delta, "delta", State.MergeDelta)
}

// MergeState implements State.
func (k *Keyed) MergeState(state []byte) error {
	return k.merge(state, "state", State.MergeState)
}

func (k *Keyed) merge(data []byte, what string, f func(State, []byte) error) error {
	var b replicawire.KeyedBatch
	if err := b.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("replica: keyed: decode %s: %w", what, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var errs []error
	for _, it := range b.Items {
		r, err := k.get(it.Key)
		if err == nil {
			err = f(r, it.Data)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("replica: keyed: merge %s of %q: %w", what, it.Key, err))
		}
	}
	return errors.Join(errs...)
}

// Snapshot implements State: every record's snapshot, sorted by key.
func (k *Keyed) Snapshot() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := make([]string, 0, len(k.records))
	for key := range k.records {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	b := replicawire.KeyedBatch{Items: make([]replicawire.KeyedItem, 0, len(keys))}
	for _, key := range keys {
		s, err := k.records[key].Snapshot()
		if err != nil {
			return nil, fmt.Errorf("replica: keyed: snapshot of %q: %w", key, err)
		}
		b.Items = append(b.Items, replicawire.KeyedItem{Key: key, Data: s})
	}
	return b.MarshalBinary()
}

// Prune implements State: every record prunes the departed replicas, and
// the pruning is part of the next TakeDelta.
func (k *Keyed) Prune(replicas []string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var errs []error
	for key, r := range k.records {
		k.dirty[key] = true
		if err := r.Prune(replicas); err != nil {
			errs = append(errs, fmt.Errorf("replica: keyed: prune %q: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// Forget implements Forgetter: every record that is a Forgetter drops the
// pruning markers of replicas. It is a local change (no delta).
func (k *Keyed) Forget(replicas []string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var errs []error
	for key, r := range k.records {
		if f, ok := r.(Forgetter); ok {
			if err := f.Forget(replicas); err != nil {
				errs = append(errs, fmt.Errorf("replica: keyed: forget %q: %w", key, err))
			}
		}
	}
	return errors.Join(errs...)
}
