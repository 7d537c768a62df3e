package main

import (
	"fmt"
	"sync"

	"github.com/mailru/easyjson/jwriter"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/dwsdk/distributed/runtime/crdt"
)

// tableRecord is a table-catalog entry of the data warehouse, built from
// runtime/crdt types:
//
//	rows        PNCounter                 inc, dec
//	tags        ORSet[string]             add, remove
//	owner       LWWRegister[string]       set
//	partitions  ORMap[string, PNCounter]  inc, dec (with key), delete (key)
//
// Its binary encoding is the four fields' codecs in order, so equal states
// encode to equal bytes. gen/records (crdtgen's record support) did not
// exist when the node was written; this is the record crdtgen would
// generate for that schema, written by hand.
type tableRecord struct {
	mu         sync.Mutex
	self       crdt.ReplicaID
	clock      *crdt.Clock
	rows       crdt.PNCounter
	tags       crdt.ORSet[string]
	owner      crdt.LWWRegister[string]
	partitions crdt.ORMap[string, crdt.PNCounter]
}

func newTableRecord(replicaID string) record {
	return &tableRecord{self: crdt.ReplicaID(replicaID), clock: crdt.NewClock(crdt.DefaultClockConfig())}
}

func validateTableOps(ops []nodeapi.RecordOp) error {
	for i, op := range ops {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: ops[%d] (%s %s): %s", errBadRequest, i, op.Op, op.Field, fmt.Sprintf(format, a...))
		}
		switch op.Field {
		case "rows":
			if op.Op != "inc" && op.Op != "dec" {
				return bad("rows takes inc or dec")
			}
			if op.By <= 0 {
				return bad("by must be positive")
			}
		case "tags":
			if op.Op != "add" && op.Op != "remove" {
				return bad("tags takes add or remove")
			}
			if op.Value == "" {
				return bad("value is empty")
			}
		case "owner":
			if op.Op != "set" {
				return bad("owner takes set")
			}
		case "partitions":
			if op.Key == "" {
				return bad("key is empty")
			}
			switch op.Op {
			case "inc", "dec":
				if op.By <= 0 {
					return bad("by must be positive")
				}
			case "delete":
			default:
				return bad("partitions takes inc, dec or delete")
			}
		default:
			return bad("unknown field; tables have rows, tags, owner and partitions")
		}
	}
	return nil
}

// Apply implements record.
func (t *tableRecord) Apply(ops []nodeapi.RecordOp) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, op := range ops {
		by := op.By
		if op.Op == "dec" {
			by = -by
		}
		switch op.Field {
		case "rows":
			t.rows.Add(t.self, by)
		case "tags":
			if op.Op == "add" {
				t.tags.Add(t.self, op.Value)
			} else {
				t.tags.Remove(op.Value)
			}
		case "owner":
			t.owner.SetNow(t.self, t.clock, op.Value)
		case "partitions":
			if op.Op == "delete" {
				t.partitions.Remove(op.Key)
			} else {
				t.partitions.Update(t.self, op.Key, func(c *crdt.PNCounter) { c.Add(t.self, by) })
			}
		}
	}
	return nil
}

// encode appends the four fields.
func encodeTable(rows *crdt.PNCounter, tags *crdt.ORSet[string], owner *crdt.LWWRegister[string],
	parts *crdt.ORMap[string, crdt.PNCounter]) []byte {
	b := rows.AppendTo(nil)
	b = tags.AppendTo(b, crdt.StringCodec)
	b = owner.AppendTo(b, crdt.StringCodec)
	return parts.AppendTo(b, crdt.StringCodec, crdt.PNCounterCodec)
}

// decodeTable decodes the four fields into a fresh value.
func decodeTable(data []byte) (*tableRecord, error) {
	var d tableRecord
	dec := crdt.NewDecoder(data, "tables", 0)
	d.rows.DecodeFrom(dec)
	d.tags.DecodeFrom(dec, crdt.StringCodec)
	d.owner.DecodeFrom(dec, crdt.StringCodec)
	d.partitions.DecodeFrom(dec, crdt.StringCodec, crdt.PNCounterCodec)
	if err := dec.Err(); err != nil {
		return nil, err
	}
	if dec.Remaining() != 0 {
		return nil, fmt.Errorf("crdt: decode tables: %d trailing bytes at offset %d", dec.Remaining(), dec.Offset())
	}
	return &d, nil
}

// TakeDelta implements replica.State.
func (t *tableRecord) TakeDelta() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rows, tags, owner, parts := t.rows.TakeDelta(), t.tags.TakeDelta(), t.owner.TakeDelta(), t.partitions.TakeDelta()
	if rows == nil && tags == nil && owner == nil && parts == nil {
		return nil, nil
	}
	if rows == nil {
		rows = &crdt.PNCounter{}
	}
	if tags == nil {
		tags = &crdt.ORSet[string]{}
	}
	if owner == nil {
		owner = &crdt.LWWRegister[string]{}
	}
	if parts == nil {
		parts = &crdt.ORMap[string, crdt.PNCounter]{}
	}
	return encodeTable(rows, tags, owner, parts), nil
}

// MergeDelta implements replica.State.
func (t *tableRecord) MergeDelta(delta []byte) error { return t.MergeState(delta) }

// MergeState implements replica.State (deltas and states share the format
// and the join).
func (t *tableRecord) MergeState(state []byte) error {
	d, err := decodeTable(state)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts, _ := d.owner.Timestamp(); ts != 0 {
		if _, err := t.clock.Update(ts); err != nil {
			return fmt.Errorf("tables: owner timestamp: %w", err)
		}
	}
	t.rows.Merge(&d.rows)
	t.tags.Merge(&d.tags)
	t.owner.Merge(&d.owner)
	t.partitions.Merge(&d.partitions)
	return nil
}

// Snapshot implements replica.State.
func (t *tableRecord) Snapshot() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return encodeTable(&t.rows, &t.tags, &t.owner, &t.partitions), nil
}

// Prune implements replica.State: the departed replicas' contributions are
// folded into this one (runtime/crdt's pruning protocol); the pruning is a
// local change that the next TakeDelta carries to the others.
func (t *tableRecord) Prune(replicas []string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	opts := crdt.GCOptions{Self: t.self}
	for _, r := range replicas {
		opts.Departed = append(opts.Departed, crdt.ReplicaID(r))
	}
	t.rows.GarbageCollect(opts)
	t.tags.GarbageCollect(opts)
	t.owner.GarbageCollect(opts)
	t.partitions.GarbageCollect(opts)
	return nil
}

// JSON implements record: {"rows":n,"tags":[...],"owner":"...","partitions":{"k":n}}.
func (t *tableRecord) JSON() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var w jwriter.Writer
	w.RawString(`{"rows":`)
	w.Int64(t.rows.Value())
	w.RawString(`,"tags":[`)
	for i, tag := range sortedStrings(t.tags.Elements()) {
		if i > 0 {
			w.RawByte(',')
		}
		w.String(tag)
	}
	w.RawString(`],"owner":`)
	w.String(t.owner.Get())
	w.RawString(`,"partitions":{`)
	for i, k := range sortedStrings(t.partitions.Keys()) {
		if i > 0 {
			w.RawByte(',')
		}
		w.String(k)
		w.RawByte(':')
		w.Int64(t.partitions.Get(k).Value())
	}
	w.RawString(`}}`)
	return w.BuildBytes()
}
