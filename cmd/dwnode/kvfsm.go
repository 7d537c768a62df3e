package main

import (
	"fmt"
	"sync"

	"github.com/dwsdk/distributed/gen/nodeapi"
)

// kvFSM is the key-value state machine Raft replicates: a map of strings
// changed only by committed KVCommands, in log order.
type kvFSM struct {
	mu      sync.RWMutex
	data    map[string]string
	applied uint64
}

func newKVFSM() *kvFSM { return &kvFSM{data: map[string]string{}} }

// apply executes the command of log entry index and returns the result.
// A command that does not decode is skipped with an error result: it can
// only come from a newer or broken proposer, and every replica skips it
// alike, so they stay identical.
func (f *kvFSM) apply(index uint64, cmd []byte) (nodeapi.KVPair, error) {
	var c nodeapi.KVCommand
	if err := c.UnmarshalBinary(cmd); err != nil {
		f.mu.Lock()
		f.applied = index
		f.mu.Unlock()
		return nodeapi.KVPair{Index: index}, fmt.Errorf("kv: entry %d: %w", index, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = index
	switch c.Op {
	case nodeapi.KVPut:
		f.data[c.Key] = c.Value
		return nodeapi.KVPair{Key: c.Key, Value: c.Value, Found: true, Index: index}, nil
	case nodeapi.KVDelete:
		_, found := f.data[c.Key]
		delete(f.data, c.Key)
		return nodeapi.KVPair{Key: c.Key, Found: found, Index: index}, nil
	}
	return nodeapi.KVPair{Index: index}, fmt.Errorf("kv: entry %d: unknown operation %d", index, c.Op)
}

// get reads a key from the applied state.
func (f *kvFSM) get(key string) nodeapi.KVPair {
	f.mu.RLock()
	defer f.mu.RUnlock()
	v, ok := f.data[key]
	return nodeapi.KVPair{Key: key, Value: v, Found: ok, Index: f.applied}
}

// snapshot encodes the whole map.
func (f *kvFSM) snapshot() ([]byte, uint64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := nodeapi.KVSnapshot{Data: make(map[string]string, len(f.data))}
	for k, v := range f.data {
		s.Data[k] = v
	}
	b, err := s.MarshalBinary()
	return b, f.applied, err
}

// restore replaces the map with a snapshot taken at index.
func (f *kvFSM) restore(b []byte, index uint64) error {
	var s nodeapi.KVSnapshot
	if err := s.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("kv: restore snapshot at %d: %w", index, err)
	}
	if s.Data == nil {
		s.Data = map[string]string{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data, f.applied = s.Data, index
	return nil
}
