package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/dwsdk/distributed/gen/records"
	"github.com/dwsdk/distributed/runtime/crdt"
	"github.com/dwsdk/distributed/runtime/crdt/replica"
)

// record is one CRDT record as the node serves it: a replica.State for the
// engine, plus a JSON view and validated updates for the API. Safe for
// concurrent use.
type record interface {
	replica.State
	// JSON renders the record's current values.
	JSON() ([]byte, error)
	// StateJSON renders the whole CRDT state with the generated codec.
	StateJSON() ([]byte, error)
	// Apply applies ops (already validated) as local changes.
	Apply(ops []nodeapi.RecordOp) error
}

// recordKind is one record type the node serves.
type recordKind struct {
	new func(replicaID string, clock *crdt.Clock) record
	// validate checks ops before anything is created or changed; its
	// errors wrap errBadRequest.
	validate func(ops []nodeapi.RecordOp) error
}

// recordKinds are the record types the node serves, by URL name: the
// records of gen/records (from schemas/records).
var recordKinds = map[string]recordKind{
	"tables": genKind[records.TableCatalogEntry]("tables", tableFields, applyTable, viewTable),
	"nodes":  genKind[records.NodeStats]("nodes", nodeFields, applyNode, viewNode),
}

// recordStore holds every record of the node in one replica.Keyed state,
// keyed "type/key", replicated by one engine.
type recordStore struct {
	keyed  *replica.Keyed
	notify func() // wakes the engine after a local update
}

func newRecordStore(replicaID string) *recordStore {
	clock := crdt.NewClock(crdt.DefaultClockConfig()) // one hybrid logical clock for every LWW register of the node
	return &recordStore{keyed: replica.NewKeyed(func(key string) (replica.State, error) {
		typ, _, _ := strings.Cut(key, "/")
		k, ok := recordKinds[typ]
		if !ok {
			return nil, fmt.Errorf("%w: no record type %q", replica.ErrUnknownKey, typ)
		}
		return k.new(replicaID, clock), nil
	}), notify: func() {}}
}

func kindNames() []string {
	var names []string
	for k := range recordKinds {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func checkKind(typ string) error {
	if _, ok := recordKinds[typ]; !ok {
		return fmt.Errorf("%w: no record type %q (have %s)", errNotFound, typ, strings.Join(kindNames(), ", "))
	}
	return nil
}

// update applies ops to the record typ/key, creating it.
func (s *recordStore) update(typ, key string, ops []nodeapi.RecordOp) ([]byte, error) {
	if err := checkKind(typ); err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("%w: no ops", errBadRequest)
	}
	if err := recordKinds[typ].validate(ops); err != nil {
		return nil, err
	}
	var out []byte
	err := s.keyed.Update(typ+"/"+key, func(st replica.State) error {
		r := st.(record)
		if err := r.Apply(ops); err != nil {
			return err
		}
		var err error
		out, err = r.JSON()
		return err
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return out, nil
}

// get renders the record typ/key: its values, or with state its whole
// CRDT state.
func (s *recordStore) get(typ, key string, state bool) ([]byte, error) {
	if err := checkKind(typ); err != nil {
		return nil, err
	}
	st, err := s.keyed.Get(typ + "/" + key)
	if err != nil {
		return nil, fmt.Errorf("%w: record %s/%s", errNotFound, typ, key)
	}
	if state {
		return st.(record).StateJSON()
	}
	return st.(record).JSON()
}

// keys lists the keys of type typ.
func (s *recordStore) keys(typ string) ([]string, error) {
	if err := checkKind(typ); err != nil {
		return nil, err
	}
	var out []string
	for _, k := range s.keyed.Keys() {
		if t, key, _ := strings.Cut(k, "/"); t == typ {
			out = append(out, key)
		}
	}
	return out, nil
}

func (s *recordStore) len() int { return len(s.keyed.Keys()) }

// digest is the SHA-256 of the encoded records: equal on nodes whose
// records converged.
func (s *recordStore) digest() ([32]byte, error) {
	b, err := s.keyed.Snapshot()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// replicatedHeader tells a record writer whether another node acknowledged
// the change before the answer. It is information only: every 2xx answer
// means the change is already durable in this node's CRDT log, so it
// survives a crash of this node either way; "false" says only that no peer
// held it yet (the node is cut off, or the peers were slower than
// syncTimeout), so it is not yet readable elsewhere.
const replicatedHeader = "X-Dwnode-Replicated"

// syncTimeout bounds the wait for that acknowledgement.
const syncTimeout = 500 * time.Millisecond

// rawJSON writes pre-encoded JSON.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

func (n *Node) handleRecordTypes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, &nodeapi.RecordKeys{Keys: kindNames()})
}

func (n *Node) handleRecordKeys(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	keys, err := n.records.keys(typ)
	if err != nil {
		n.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, &nodeapi.RecordKeys{Type: typ, Keys: keys})
}

func (n *Node) handleRecordGet(w http.ResponseWriter, r *http.Request) {
	key, err := pathKey(r, "key")
	if err != nil {
		n.writeErr(w, err)
		return
	}
	view := r.URL.Query().Get("view")
	if view != "" && view != "state" {
		n.writeErr(w, fmt.Errorf("%w: view %q: want \"state\" (the CRDT state) or none (the record)", errBadRequest, view))
		return
	}
	b, err := n.records.get(r.PathValue("type"), key, view == "state")
	if err != nil {
		n.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rawJSON(b))
}

// handleRecordUpdate applies updates locally (CRDTs accept writes on every
// node, even one cut off from the others); replication carries them to the
// other nodes.
func (n *Node) handleRecordUpdate(w http.ResponseWriter, r *http.Request) {
	key, err := pathKey(r, "key")
	if err != nil {
		n.writeErr(w, err)
		return
	}
	var u nodeapi.RecordUpdate
	if err := readJSON(r, &u); err != nil {
		n.writeErr(w, err)
		return
	}
	b, err := n.records.update(r.PathValue("type"), key, u.Ops)
	if err != nil {
		n.writeErr(w, err)
		return
	}
	// The change is acknowledged only once it is durable here: the engine
	// takes its delta (which the store logs) and the log is synced, one
	// fdatasync shared by concurrent writers.
	n.engine.Flush()
	if err := n.store.Sync(r.Context()); err != nil {
		n.writeErr(w, fmt.Errorf("record %s/%s applied but not durable: %w", r.PathValue("type"), key, err))
		return
	}
	// Then wait (briefly) until another node holds it too; a node cut off
	// from the others still accepts the write and says it is not
	// replicated yet.
	ctx, cancel := context.WithTimeout(r.Context(), syncTimeout)
	replicated := n.engine.Sync(ctx) == nil
	cancel()
	w.Header().Set(replicatedHeader, strconv.FormatBool(replicated))
	writeJSON(w, http.StatusOK, rawJSON(b))
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
