package raft

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dwsdk/distributed/gen/raftwire"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		os.Exit(runKillChild(dir)) // this process is the child of TestSIGKILLNoAckedEntryLost
	}
	goleak.VerifyTestMain(m)
}

// kvFSM is a key-value state machine for tests. Commands: 'p' key value
// (put, responds with the previous value) and 'g' key (get, responds with
// the value). It records every applied entry for safety checks.
type kvFSM struct {
	mu      sync.Mutex
	data    map[string]string
	applied []appliedEntry // since the last restore
	base    uint64         // index the last restore covered
	restore int
	name    string // server and incarnation, for failure messages
}

type appliedEntry struct {
	index uint64
	cmd   string
}

func newKV() *kvFSM { return &kvFSM{data: map[string]string{}} }

func putCmd(k, v string) []byte { return []byte("p" + strconv.Itoa(len(k)) + ":" + k + v) }
func getCmd(k string) []byte    { return []byte("g" + k) }

func (f *kvFSM) Apply(index uint64, cmd []byte) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, appliedEntry{index, string(cmd)})
	if len(cmd) == 0 {
		return nil
	}
	switch cmd[0] {
	case 'p':
		rest := string(cmd[1:])
		var kl int
		colon := 0
		for colon < len(rest) && rest[colon] != ':' {
			colon++
		}
		kl, _ = strconv.Atoi(rest[:colon])
		k, v := rest[colon+1:colon+1+kl], rest[colon+1+kl:]
		prev := f.data[k]
		f.data[k] = v
		return prev
	case 'g':
		return f.data[string(cmd[1:])]
	}
	return nil
}

func (f *kvFSM) get(k string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.data[k]
}

type kvSnap struct{ data []byte }

func (s *kvSnap) Persist(w io.Writer) error { _, err := w.Write(s.data); return err }
func (s *kvSnap) Release()                  {}

func (f *kvFSM) Snapshot() (FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([]string, 0, len(f.data))
	for k := range f.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []byte
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(f.data[k])))
		b = append(b, f.data[k]...)
	}
	return &kvSnap{data: b}, nil
}

func (f *kvFSM) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := map[string]string{}
	for len(b) > 0 {
		kl, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < kl {
			return errors.New("kv: bad snapshot")
		}
		k := string(b[n : n+int(kl)])
		b = b[n+int(kl):]
		vl, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < vl {
			return errors.New("kv: bad snapshot")
		}
		m[k] = string(b[n : n+int(vl)])
		b = b[n+int(vl):]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data = m
	f.applied = nil
	f.restore++
	return nil
}

// testStores are a server's stores, kept across restarts.
type testStores struct {
	logs   LogStore
	stable StableStore
	snaps  SnapshotStore
}

type cluster struct {
	t      testing.TB
	net    *Network
	ids    []string
	mu     sync.Mutex
	nodes  map[string]*Node
	fsms   map[string]*kvFSM
	stores map[string]*testStores
	tweak  func(*Config)
	// reopen, when set, reopens a crashed server's stores from disk.
	reopen  func(id string) *testStores
	crashed map[string]bool
	// history of every FSM of every incarnation, for safety checks
	allFSMs []*kvFSM
}

func testConfig(id string) Config {
	c := DefaultConfig()
	c.LocalID = id
	c.HeartbeatInterval = 25 * time.Millisecond
	c.ElectionTimeoutMin = 250 * time.Millisecond
	c.ElectionTimeoutMax = 500 * time.Millisecond
	c.LogStallTimeout = time.Second
	c.Logger = testLogger()
	return c
}

// patientElections is for tests that drive one leader and are not about
// elections: on a loaded machine a process can be descheduled for longer
// than a short election timeout, and check-quorum then rightly deposes the
// leader.
func patientElections(c *Config) {
	c.HeartbeatInterval = 50 * time.Millisecond
	c.ElectionTimeoutMin = time.Second
	c.ElectionTimeoutMax = 2 * time.Second
}

func testLogger() *slog.Logger {
	level := slog.LevelError + 4
	if os.Getenv("RAFT_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func newCluster(t testing.TB, size int, seed uint64, tweak func(*Config)) *cluster {
	return newClusterWith(t, size, seed, tweak, nil)
}

func (c *cluster) start(id string) *Node {
	c.t.Helper()
	if c.reopen != nil && c.crashed[id] {
		c.stores[id] = c.reopen(id)
	}
	delete(c.crashed, id)
	tr, err := c.net.Transport(id)
	require.NoError(c.t, err)
	cfg := testConfig(id)
	if c.tweak != nil {
		c.tweak(&cfg)
	}
	fsm := newKV()
	fsm.name = fmt.Sprintf("%s#%d", id, len(c.allFSMs))
	st := c.stores[id]
	n, err := NewNode(cfg, Deps{FSM: fsm, Logs: st.logs, Stable: st.stable, Snapshots: st.snaps, Transport: tr})
	require.NoError(c.t, err)
	c.mu.Lock()
	c.nodes[id], c.fsms[id] = n, fsm
	c.allFSMs = append(c.allFSMs, fsm)
	c.mu.Unlock()
	return n
}

func (c *cluster) node(id string) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[id]
}

func (c *cluster) crash(id string) {
	c.mu.Lock()
	n := c.nodes[id]
	delete(c.nodes, id)
	c.mu.Unlock()
	if n != nil {
		n.Close()
		if c.reopen != nil {
			c.stores[id].logs.Close()
		}
		if c.crashed == nil {
			c.crashed = map[string]bool{}
		}
		c.crashed[id] = true
	}
}

func (c *cluster) close() {
	c.mu.Lock()
	nodes := c.nodes
	c.nodes = map[string]*Node{}
	c.mu.Unlock()
	for id, n := range nodes {
		n.Close()
		if c.reopen != nil {
			c.stores[id].logs.Close()
		}
	}
	c.net.Close()
}

func (c *cluster) running() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Node
	for _, id := range c.ids {
		if n := c.nodes[id]; n != nil {
			out = append(out, n)
		}
	}
	return out
}

// dump logs every running server's state; tests call it on failure.
func (c *cluster) dump() {
	for _, n := range c.running() {
		st := n.Status()
		peers := ""
		for _, p := range st.Peers {
			peers += fmt.Sprintf(" %s:%d/%v", p.ID, p.Match, p.LastContact.Round(time.Millisecond))
		}
		c.t.Logf("%s %v term %d leader %s commit %d applied %d first %d last %d snap %d peers[%s] %+v", n.ID(), st.Role, st.Term, st.Leader,
			st.CommitIndex, st.AppliedIndex, st.FirstIndex, st.LastIndex, st.SnapshotIndex, peers, st.Metrics)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// leader waits until exactly one running node leads the highest term.
func (c *cluster) leader(d time.Duration) *Node {
	c.t.Helper()
	var l *Node
	waitFor(c.t, d, "a leader", func() bool {
		l = nil
		var best uint64
		for _, n := range c.running() {
			if n.Role() == Leader && n.Term() >= best {
				l, best = n, n.Term()
			}
		}
		return l != nil
	})
	return l
}

// follower returns the id of a server other than the leader l.
func (c *cluster) follower(l *Node) string {
	c.t.Helper()
	for _, id := range c.ids {
		if id != l.ID() {
			return id
		}
	}
	c.t.Fatal("no follower")
	return ""
}

// propose proposes through whichever node leads, retrying until ctx ends.
func (c *cluster) propose(ctx context.Context, cmd []byte) (Result, error) {
	for {
		for _, n := range c.running() {
			if n.Role() != Leader {
				continue
			}
			r, err := n.Propose(ctx, cmd)
			if err == nil {
				return r, nil
			}
			if ctx.Err() != nil {
				return r, err
			}
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// do runs fn on the current leader, retrying while leadership moves.
func (c *cluster) do(ctx context.Context, fn func(*Node) error) error {
	for {
		var err error = ErrNotLeader
		for _, n := range c.running() {
			if n.Role() == Leader {
				err = fn(n)
				break
			}
		}
		if !errors.Is(err, ErrNotLeader) && !errors.Is(err, ErrLeadershipLost) && !errors.Is(err, ErrConfigChangePending) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// waitApplied waits until every running node applied index.
func (c *cluster) waitApplied(d time.Duration, index uint64) {
	c.t.Helper()
	waitFor(c.t, d, fmt.Sprintf("all nodes to apply %d", index), func() bool {
		for _, n := range c.running() {
			if n.AppliedIndex() < index {
				return false
			}
		}
		return true
	})
}

// checkStateMachineSafety verifies that no two FSMs (of any incarnation)
// applied different commands at the same index.
func (c *cluster) checkStateMachineSafety() {
	c.t.Helper()
	seen := map[uint64]string{}
	who := map[uint64]string{}
	c.mu.Lock()
	fsms := append([]*kvFSM(nil), c.allFSMs...)
	c.mu.Unlock()
	for _, f := range fsms {
		f.mu.Lock()
		prev := uint64(0)
		for _, e := range f.applied {
			if prev != 0 && e.index <= prev {
				f.mu.Unlock()
				c.t.Fatalf("state machine applied index %d after %d", e.index, prev)
			}
			prev = e.index
			if s, ok := seen[e.index]; ok && s != e.cmd {
				f.mu.Unlock()
				c.t.Fatalf("state machine safety violated at index %d: %q (%s) vs %q (%s, restored %d times)", e.index, s, who[e.index], e.cmd, f.name, f.restore)
			}
			seen[e.index] = e.cmd
			who[e.index] = fmt.Sprintf("%s, restored %d times", f.name, f.restore)
		}
		f.mu.Unlock()
	}
}

// checkLogMatching verifies that logs agreeing on an entry's term agree on
// everything before it, and that committed prefixes are identical.
func (c *cluster) checkLogMatching() {
	c.t.Helper()
	type view struct {
		id      string
		first   uint64
		entries map[uint64]raftwire.Entry
		commit  uint64
	}
	var views []view
	for _, id := range c.ids {
		st := c.stores[id]
		first, err := st.logs.FirstIndex()
		require.NoError(c.t, err)
		last, err := st.logs.LastIndex()
		require.NoError(c.t, err)
		v := view{id: id, first: first, entries: map[uint64]raftwire.Entry{}}
		if last >= first {
			ents, err := st.logs.Entries(first, last+1, 0)
			require.NoError(c.t, err)
			for _, e := range ents {
				v.entries[e.Index] = e
			}
		}
		views = append(views, v)
	}
	for i := range views {
		for j := i + 1; j < len(views); j++ {
			a, b := views[i], views[j]
			// Find the highest index where both hold the same term; all
			// earlier common entries must be identical.
			var top uint64
			for idx, ea := range a.entries {
				if eb, ok := b.entries[idx]; ok && ea.Term == eb.Term && idx > top {
					top = idx
				}
			}
			for idx := uint64(1); idx <= top; idx++ {
				ea, oka := a.entries[idx]
				eb, okb := b.entries[idx]
				if oka && okb && (ea.Term != eb.Term || !bytes.Equal(ea.Data, eb.Data) || ea.Type != eb.Type) {
					c.t.Fatalf("log matching violated between %s and %s at %d (agree at %d): %+v vs %+v", a.id, b.id, idx, top, ea, eb)
				}
			}
		}
	}
}
