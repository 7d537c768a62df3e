package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/cmd/dwnode/internal/cluster"
	"github.com/dwsdk/distributed/gen/nodeapi"
)

// The end-to-end tests run real dwnode processes on loopback. The binary is
// built once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

const testToken = "e2e-secret"

func dwnodeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dwnode-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath, buildErr = cluster.Build(context.Background(), dir)
	})
	require.NoError(t, buildErr)
	return binPath
}

// e2e is a running test cluster.
type e2e struct {
	t   *testing.T
	c   *cluster.Cluster
	cli *cluster.Client
	ctx context.Context
}

// startCluster starts n nodes: n1 bootstraps Raft, the others join it
// through SWIM; it returns once the Raft configuration holds n voters.
// Every node gets the extra flags.
func startCluster(t *testing.T, n int, extra ...string) *e2e {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	dir := t.TempDir()
	c := cluster.New(dwnodeBinary(t), dir, testToken, append([]string{
		"-fault-injection", "-replica-tick", "20ms", "-raft-election", "300ms", "-log-level", "info"}, extra...)...)
	e := &e2e{t: t, c: c, cli: cluster.NewClient(testToken), ctx: ctx}
	t.Cleanup(func() {
		if err := c.StopAll(15 * time.Second); err != nil {
			t.Errorf("a node did not shut down cleanly: %v", err)
		}
		e.cli.HTTP.CloseIdleConnections()
		if t.Failed() {
			for i := 1; i <= n+1; i++ {
				if b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("n%d.log", i))); err == nil {
					t.Logf("--- n%d.log (last 3000 bytes)\n%s", i, tail(b, 3000))
				}
			}
		}
	})
	first, err := c.Start(ctx, "n1", true, nil)
	require.NoError(t, err)
	for i := 2; i <= n; i++ {
		_, err := c.Start(ctx, "n"+strconv.Itoa(i), false, []string{first.Addrs.Addr})
		require.NoError(t, err)
	}
	e.waitVoters(n)
	return e
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// eventually polls cond until it holds or the deadline passes.
func (e *e2e) eventually(what string, timeout time.Duration, cond func() error) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("%s: %v (last: %v)", what, e.ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	e.t.Fatalf("%s: not within %v: %v", what, timeout, err)
}

// http returns the HTTP address of a running node.
func (e *e2e) http(name string) string { return e.c.Proc(name).Addrs.HTTPAddr }

// leader returns the name of the Raft leader all running nodes agree on.
func (e *e2e) leader() (string, error) {
	leader := ""
	for _, p := range e.c.Running() {
		s, err := e.cli.Raft(e.ctx, p.Addrs.HTTPAddr)
		if err != nil {
			return "", err
		}
		if s.Leader == "" || (leader != "" && s.Leader != leader) {
			return "", fmt.Errorf("%s sees leader %q, others %q", p.Name, s.Leader, leader)
		}
		leader = s.Leader
	}
	if e.c.Proc(leader) == nil || e.c.Proc(leader).Exited() {
		return "", fmt.Errorf("leader %q is not running", leader)
	}
	return leader, nil
}

func (e *e2e) waitVoters(n int) {
	e.t.Helper()
	e.eventually(fmt.Sprintf("%d Raft voters", n), 30*time.Second, func() error {
		l, err := e.leader()
		if err != nil {
			return err
		}
		s, err := e.cli.Raft(e.ctx, e.http(l))
		if err != nil {
			return err
		}
		voters := 0
		for _, p := range s.Peers {
			if p.Voter {
				voters++
			}
		}
		if voters != n {
			return fmt.Errorf("%d voters: %+v", voters, s.Peers)
		}
		return nil
	})
}

// kvKeys is how many keys the linearizability clients share.
const kvKeys = 8

// kvModel is a linearizable key-value register per key, for porcupine.
type kvInput struct {
	put   bool
	key   string
	value string
}

type kvOutput struct {
	value string
	found bool
}

var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(kvInput).key
			by[k] = append(by[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range by {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return kvOutput{} },
	Step: func(state, input, output any) (bool, any) {
		s, in := state.(kvOutput), input.(kvInput)
		if in.put {
			return true, kvOutput{value: in.value, found: true}
		}
		out := output.(kvOutput)
		return out == s, s
	},
}

// TestE2EKVLinearizableWhileLeaderKilled runs concurrent clients against a
// 3-node cluster, kills the Raft leader with SIGKILL in the middle, checks
// the history with porcupine, and checks that every acknowledged write is
// still there afterwards.
func TestE2EKVLinearizableWhileLeaderKilled(t *testing.T) {
	e := startCluster(t, 3)
	seed := rand.Uint64()
	if s := os.Getenv("DWNODE_E2E_SEED"); s != "" { // replay a run's client choices
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "DWNODE_E2E_SEED")
	}
	t.Logf("seed %d (DWNODE_E2E_SEED=%d replays the clients' choices)", seed, seed)

	var mu sync.Mutex
	var history []porcupine.Operation
	alive := []string{"n1", "n2", "n3"}
	acked := map[string]int{} // per client's own key: highest acknowledged sequence number
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	ctx, cancel := context.WithTimeout(e.ctx, 8*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for c := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			own := fmt.Sprintf("own-%d", c)
			pace := time.NewTicker(15 * time.Millisecond) // a steady client, not a flood
			defer pace.Stop()
			for seq := 1; ctx.Err() == nil; seq++ {
				select {
				case <-pace.C:
				case <-ctx.Done():
					return
				}
				mu.Lock()
				node := alive[rng.IntN(len(alive))]
				mu.Unlock()
				addr := e.http(node)
				key := fmt.Sprintf("k%d", rng.IntN(kvKeys))
				in := kvInput{key: key, put: rng.IntN(2) == 0, value: fmt.Sprintf("c%d-%d", c, seq)}
				op := porcupine.Operation{ClientId: c, Input: in, Call: now()}
				var err error
				if in.put {
					_, err = e.cli.KVPut(ctx, addr, key, in.value)
				} else {
					var p nodeapi.KVPair
					p, err = e.cli.KVGet(ctx, addr, key)
					var se *cluster.StatusError
					if errors.As(err, &se) && se.Code == 404 {
						err = nil // not found is an answer
					}
					op.Output = kvOutput{value: p.Value, found: p.Found}
				}
				op.Return = now()
				var se *cluster.StatusError
				definitelyNot := errors.As(err, &se) && se.Code == 503
				switch {
				case err == nil:
				case !in.put || definitelyNot:
					continue // a failed read, or a write refused before it was proposed, has no effect
				default:
					op.Return = math.MaxInt64 // outcome unknown: may take effect any time later
				}
				mu.Lock()
				history = append(history, op)
				mu.Unlock()

				// The client's own key: a sequence of acknowledged writes.
				if _, err := e.cli.KVPut(ctx, addr, own, strconv.Itoa(seq)); err == nil {
					mu.Lock()
					acked[own] = seq
					mu.Unlock()
				}
			}
		})
	}
	ackedPuts := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, op := range history {
			if op.Input.(kvInput).put && op.Return != math.MaxInt64 {
				n++
			}
		}
		return n
	}
	e.eventually("writes acknowledged by the first leader", 10*time.Second, func() error {
		if n := ackedPuts(); n < 30 {
			return fmt.Errorf("%d acknowledged writes", n)
		}
		return nil
	})
	var leader string
	e.eventually("a leader", 10*time.Second, func() (err error) { leader, err = e.leader(); return err })
	t.Logf("killing leader %s", leader)
	mu.Lock()
	alive = nil
	for _, n := range []string{"n1", "n2", "n3"} {
		if n != leader {
			alive = append(alive, n)
		}
	}
	mu.Unlock()
	e.c.Proc(leader).Kill()
	wg.Wait()

	var newLeader string
	e.eventually("a new leader", 15*time.Second, func() (err error) { newLeader, err = e.leader(); return err })
	require.NotEqual(t, leader, newLeader)

	// Final reads, part of the checked history.
	for k := range kvKeys {
		key := fmt.Sprintf("k%d", k)
		op := porcupine.Operation{ClientId: 99, Input: kvInput{key: key}, Call: now()}
		p, err := e.cli.KVGet(e.ctx, e.http(newLeader), key)
		var se *cluster.StatusError
		if errors.As(err, &se) && se.Code == 404 {
			err = nil
		}
		require.NoError(t, err)
		op.Output, op.Return = kvOutput{value: p.Value, found: p.Found}, now()
		history = append(history, op)
	}
	puts := ackedPuts()
	require.Greater(t, puts, 40, "too few acknowledged writes to mean anything")
	res := porcupine.CheckOperationsTimeout(kvModel, history, 30*time.Second)
	require.Equal(t, porcupine.Ok, res, "history of %d operations is not linearizable", len(history))

	for own, seq := range acked {
		p, err := e.cli.KVGet(e.ctx, e.http(newLeader), own)
		require.NoError(t, err, own)
		got, err := strconv.Atoi(p.Value)
		require.NoError(t, err)
		require.GreaterOrEqual(t, got, seq, "acknowledged write %s=%d lost", own, seq)
	}
	t.Logf("%d operations, %d acknowledged writes, linearizable; new leader %s", len(history), puts, newLeader)
}

// TestSIGTERMWhileJoiningStopsCleanly: a node told to stop while it still
// retries its seeds (a supervisor giving up on a node that cannot join)
// exits 0 saying it was stopped, not 1 with the last join error.
func TestSIGTERMWhileJoiningStopsCleanly(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0") // a port nobody answers on once closed
	require.NoError(t, err)
	seed := dead.Addr().String()
	require.NoError(t, dead.Close())
	dir := t.TempDir()
	cmd := exec.Command(dwnodeBinary(t), "-name", "lonely", "-data", filepath.Join(dir, "lonely"), "-join", seed,
		"-swim-addr", "127.0.0.1:0", "-raft-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var log []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() { // EOF if the node exits: the Wait below reports it
		log = append(log, sc.Text())
		if strings.Contains(sc.Text(), "join failed, retrying") {
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			break
		}
	}
	for sc.Scan() {
		log = append(log, sc.Text())
	}
	require.NoError(t, cmd.Wait(), "exit status; log:\n%s", strings.Join(log, "\n"))
	require.Contains(t, log[len(log)-1], "stopped before serving", strings.Join(log, "\n"))
}
