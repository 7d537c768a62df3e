package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mailru/easyjson/jwriter"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/dwsdk/distributed/gen/records"
	"github.com/dwsdk/distributed/runtime/crdt"
)

// genPtr is what crdtgen generates for a //crdt:record type T (on *T).
type genPtr[T any] interface {
	*T
	Merge(o *T)
	TakeDelta() *T
	GarbageCollect(opts crdt.GCOptions) crdt.GCStats
	TombstoneCount() int
	MarshalBinary() ([]byte, error)
	UnmarshalBinary(data []byte) error
	MarshalJSON() ([]byte, error)
}

// genRecord adapts a generated record to the node's record interface: its
// deltas and states travel in the generated binary encoding, its mutations
// are the op table of its type, and its JSON comes in two views.
type genRecord[T any, P genPtr[T]] struct {
	mu    sync.Mutex
	self  crdt.ReplicaID
	clock *crdt.Clock
	v     T
	apply func(v P, self crdt.ReplicaID, clock *crdt.Clock, op nodeapi.RecordOp)
	view  func(w *jwriter.Writer, v P)
}

var _ record = (*genRecord[records.NodeStats, *records.NodeStats])(nil)

// TakeDelta implements replica.State.
func (g *genRecord[T, P]) TakeDelta() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := P(&g.v).TakeDelta()
	if d == nil {
		return nil, nil
	}
	return P(d).MarshalBinary()
}

// MergeDelta implements replica.State (a delta is a state).
func (g *genRecord[T, P]) MergeDelta(delta []byte) error { return g.MergeState(delta) }

// MergeState implements replica.State.
func (g *genRecord[T, P]) MergeState(state []byte) error {
	var o T
	if err := P(&o).UnmarshalBinary(state); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	P(&g.v).Merge(&o)
	return nil
}

// Snapshot implements replica.State.
func (g *genRecord[T, P]) Snapshot() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return P(&g.v).MarshalBinary()
}

// Prune implements replica.State: runtime/crdt's pruning folds the departed
// replicas into this one, as a change the next TakeDelta carries.
func (g *genRecord[T, P]) Prune(replicas []string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	P(&g.v).GarbageCollect(crdt.GCOptions{Self: g.self, Departed: replicaIDs(replicas)})
	return nil
}

func replicaIDs(rs []string) []crdt.ReplicaID {
	out := make([]crdt.ReplicaID, len(rs))
	for i, r := range rs {
		out[i] = crdt.ReplicaID(r)
	}
	return out
}

// Forget implements replica.Forgetter: the pruning markers of replicas,
// which every live replica holds, are dropped (a local change, no delta).
func (g *genRecord[T, P]) Forget(replicas []string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	P(&g.v).GarbageCollect(crdt.GCOptions{Self: g.self, Forget: replicaIDs(replicas)})
	return nil
}

// TombstoneCount returns the record's removal metadata: pruning markers
// and out-of-order dots (runtime/crdt's TombstoneCount).
func (g *genRecord[T, P]) TombstoneCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return P(&g.v).TombstoneCount()
}

// Apply implements record.
func (g *genRecord[T, P]) Apply(ops []nodeapi.RecordOp) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, op := range ops {
		g.apply(&g.v, g.self, g.clock, op)
	}
	return nil
}

// JSON implements record: the values.
func (g *genRecord[T, P]) JSON() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var w jwriter.Writer
	g.view(&w, &g.v)
	return w.BuildBytes()
}

// StateJSON implements record: the whole CRDT state, by the generated codec.
func (g *genRecord[T, P]) StateJSON() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return P(&g.v).MarshalJSON()
}

// fieldSpec says what one record field accepts.
type fieldSpec struct {
	ops   []string // allowed ops
	key   bool     // needs a map key
	by    bool     // needs a positive by (inc, dec)
	value string   // "": no value; "text", "int" or "bool"
}

// validateOps checks ops against a type's field table.
func validateOps(typ string, fields map[string]fieldSpec) func([]nodeapi.RecordOp) error {
	return func(ops []nodeapi.RecordOp) error {
		for i, op := range ops {
			bad := func(format string, a ...any) error {
				return fmt.Errorf("%w: ops[%d] (%s %s): %s", errBadRequest, i, op.Op, op.Field, fmt.Sprintf(format, a...))
			}
			f, ok := fields[op.Field]
			if !ok {
				return bad("%s have no such field (fields: %s)", typ, strings.Join(sortedStrings(mapKeys(fields)), ", "))
			}
			if !slices.Contains(f.ops, op.Op) {
				return bad("%s takes %s", op.Field, strings.Join(f.ops, ", "))
			}
			counter := op.Op == "inc" || op.Op == "dec"
			// A stray key, value or by is a mistake (row_count with the key
			// meant for partitions), not something to ignore.
			switch {
			case f.key && op.Key == "":
				return bad("key is empty")
			case !f.key && op.Key != "":
				return bad("%s takes no key", op.Field)
			case counter && op.By <= 0:
				return bad("by must be positive")
			case !counter && op.By != 0:
				return bad("by is only for inc and dec")
			case op.Value != "" && (f.value == "" || counter || op.Op == "delete"):
				return bad("%s takes no value", op.Op)
			}
			switch {
			case op.Op == "delete":
			case f.value == "text" && op.Op != "inc" && op.Op != "dec" && op.Value == "" && op.Op != "set":
				return bad("value is empty")
			case f.value == "int":
				if _, err := strconv.ParseInt(op.Value, 10, 64); err != nil {
					return bad("value %q is not an integer", op.Value)
				}
			case f.value == "bool":
				if _, err := strconv.ParseBool(op.Value); err != nil {
					return bad("value %q is not a boolean", op.Value)
				}
			}
		}
		return nil
	}
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// signed returns op.By, negated for dec.
func signed(op nodeapi.RecordOp) int64 {
	if op.Op == "dec" {
		return -op.By
	}
	return op.By
}

func setOp(s *crdt.ORSet[string], self crdt.ReplicaID, op nodeapi.RecordOp) {
	if op.Op == "add" {
		s.Add(self, op.Value)
	} else {
		s.Remove(op.Value)
	}
}

// tableFields are the ops of "tables" records (records.TableCatalogEntry).
var tableFields = map[string]fieldSpec{
	"row_count":             {ops: []string{"inc", "dec"}},
	"tags":                  {ops: []string{"add", "remove"}, value: "text"},
	"owner":                 {ops: []string{"set"}, value: "text"},
	"allowed_readers":       {ops: []string{"add", "remove"}, value: "text"},
	"schema_version":        {ops: []string{"set"}, value: "int"},
	"partitions":            {ops: []string{"inc", "dec", "delete"}, key: true},
	"partitions.size_bytes": {ops: []string{"inc", "dec"}, key: true},
	"partitions.leader":     {ops: []string{"set"}, key: true, value: "text"},
	"partitions.replicas":   {ops: []string{"add", "remove"}, key: true, value: "text"},
}

func applyTable(v *records.TableCatalogEntry, self crdt.ReplicaID, clock *crdt.Clock, op nodeapi.RecordOp) {
	part := func(f func(p *records.PartitionInfo)) { v.Partitions.Update(self, op.Key, f) }
	switch op.Field {
	case "row_count":
		v.RowCount.Add(self, signed(op))
	case "tags":
		setOp(&v.Tags, self, op)
	case "owner":
		v.Owner.SetNow(self, clock, op.Value)
	case "allowed_readers":
		setOp(&v.Readers, self, op)
	case "schema_version":
		n, _ := strconv.ParseInt(op.Value, 10, 64)
		v.SchemaVersion.Set(self, n)
	case "partitions":
		if op.Op == "delete" {
			v.Partitions.Remove(op.Key)
			return
		}
		part(func(p *records.PartitionInfo) { p.RowCount.Add(self, signed(op)) })
	case "partitions.size_bytes":
		part(func(p *records.PartitionInfo) { p.SizeBytes.Add(self, signed(op)) })
	case "partitions.leader":
		part(func(p *records.PartitionInfo) { p.Leader.SetNow(self, clock, op.Value) })
	case "partitions.replicas":
		part(func(p *records.PartitionInfo) { setOp(&p.Replicas, self, op) })
	}
}

func writeStrings(w *jwriter.Writer, ss []string) {
	w.RawByte('[')
	for i, s := range sortedStrings(ss) {
		if i > 0 {
			w.RawByte(',')
		}
		w.String(s)
	}
	w.RawByte(']')
}

func viewTable(w *jwriter.Writer, v *records.TableCatalogEntry) {
	w.RawString(`{"row_count":`)
	w.Int64(v.RowCount.Value())
	w.RawString(`,"tags":`)
	writeStrings(w, v.Tags.Elements())
	w.RawString(`,"owner":`)
	w.String(v.Owner.Get())
	w.RawString(`,"allowed_readers":`)
	writeStrings(w, v.Readers.Elements())
	w.RawString(`,"schema_version":[`)
	vs := slices.Clone(v.SchemaVersion.Values())
	slices.Sort(vs)
	for i, n := range vs {
		if i > 0 {
			w.RawByte(',')
		}
		w.Int64(n)
	}
	w.RawString(`],"partitions":{`)
	for i, k := range sortedStrings(v.Partitions.Keys()) {
		if i > 0 {
			w.RawByte(',')
		}
		p := v.Partitions.Get(k)
		w.String(k)
		w.RawString(`:{"row_count":`)
		w.Int64(p.RowCount.Value())
		w.RawString(`,"size_bytes":`)
		w.Int64(p.SizeBytes.Value())
		w.RawString(`,"leader":`)
		w.String(p.Leader.Get())
		w.RawString(`,"replicas":`)
		writeStrings(w, p.Replicas.Elements())
		w.RawByte('}')
	}
	w.RawString(`}}`)
}

// nodeFields are the ops of "nodes" records (records.NodeStats).
var nodeFields = map[string]fieldSpec{
	"queries_served":  {ops: []string{"inc"}},
	"bytes_scanned":   {ops: []string{"inc"}},
	"active_sessions": {ops: []string{"inc", "dec"}},
	"status":          {ops: []string{"set"}, value: "text"},
	"healthy":         {ops: []string{"set"}, value: "bool"},
}

func applyNode(v *records.NodeStats, self crdt.ReplicaID, clock *crdt.Clock, op nodeapi.RecordOp) {
	switch op.Field {
	case "queries_served":
		v.QueriesServed.Inc(self, uint64(op.By))
	case "bytes_scanned":
		v.BytesScanned.Inc(self, uint64(op.By))
	case "active_sessions":
		v.ActiveSessions.Add(self, signed(op))
	case "status":
		v.Status.SetNow(self, clock, op.Value)
	case "healthy":
		b, _ := strconv.ParseBool(op.Value)
		v.Healthy.SetNow(self, clock, b)
	}
}

func viewNode(w *jwriter.Writer, v *records.NodeStats) {
	w.RawString(`{"queries_served":`)
	w.Uint64(v.QueriesServed.Value())
	w.RawString(`,"bytes_scanned":`)
	w.Uint64(v.BytesScanned.Value())
	w.RawString(`,"active_sessions":`)
	w.Int64(v.ActiveSessions.Value())
	w.RawString(`,"status":`)
	w.String(v.Status.Get())
	w.RawString(`,"healthy":`)
	w.Bool(v.Healthy.Get())
	w.RawByte('}')
}

// genKind returns the recordKind of a generated record type.
func genKind[T any, P genPtr[T]](typ string, fields map[string]fieldSpec,
	apply func(P, crdt.ReplicaID, *crdt.Clock, nodeapi.RecordOp), view func(*jwriter.Writer, P)) recordKind {
	return recordKind{
		new: func(replicaID string, clock *crdt.Clock) record {
			return &genRecord[T, P]{self: crdt.ReplicaID(replicaID), clock: clock, apply: apply, view: view}
		},
		validate: validateOps(typ, fields),
	}
}
