package raft

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

const killChildEnv = "RAFT_KILL_CHILD_DIR"

// runKillChild is the child process: a single-server cluster on the WAL
// that proposes as fast as it can from 8 goroutines and prints the index
// and command of every acknowledged (applied) proposal, until it is killed.
func runKillChild(dir string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 2 }
	logs, stable, snaps, err := openDurableStores(dir)
	if err != nil {
		return fail(err)
	}
	nw := NewNetwork(1)
	tr, err := nw.Transport("n1")
	if err != nil {
		return fail(err)
	}
	cfg := testConfig("n1")
	cfg.SnapshotThreshold = 0
	n, err := NewNode(cfg, Deps{FSM: newKV(), Logs: logs, Stable: stable, Snapshots: snaps, Transport: tr})
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	if hs, _ := stable.LoadHardState(); hs.Term == 0 {
		conf := raftwire.Configuration{Servers: []raftwire.Server{{ID: "n1", Address: "n1"}}}
		if err := n.Bootstrap(ctx, conf); err != nil {
			return fail(err)
		}
	}
	for n.Role() != Leader {
		time.Sleep(time.Millisecond)
	}
	var out sync.Mutex
	var seq atomic.Int64
	fmt.Println("ready")
	for range 8 {
		go func() {
			for {
				cmd := fmt.Sprintf("%d-%d", os.Getpid(), seq.Add(1))
				r, err := n.Propose(ctx, []byte(cmd))
				if err != nil {
					fmt.Fprintln(os.Stderr, "child: propose:", err)
					continue
				}
				out.Lock()
				fmt.Printf("ack %d %s\n", r.Index, cmd)
				out.Unlock()
			}
		}()
	}
	select {}
}

// TestSIGKILLNoAckedEntryLost runs a server in a child process writing
// through Propose onto the WAL, kills it with SIGKILL in the middle of
// writing, restarts it, and checks after every kill that each acknowledged
// entry is in the log with its command.
func TestSIGKILLNoAckedEntryLost(t *testing.T) {
	dir := t.TempDir()
	acked := map[uint64]string{}
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(stdout)
		got := 0
		deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		for sc.Scan() && got < 300 {
			f := strings.Fields(sc.Text())
			if len(f) != 3 || f[0] != "ack" {
				continue
			}
			idx, err := strconv.ParseUint(f[1], 10, 64)
			require.NoError(t, err)
			if prev, ok := acked[idx]; ok && prev != f[2] {
				t.Fatalf("index %d acknowledged twice: %s and %s", idx, prev, f[2])
			}
			acked[idx] = f[2]
			got++
		}
		deadline.Stop()
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		require.Equal(t, 300, got, "round %d: child acknowledged too little before dying", round)

		logs, _, _, err := openDurableStores(dir)
		require.NoError(t, err)
		for idx, want := range acked {
			ents, err := logs.Entries(idx, idx+1, 0)
			require.NoError(t, err, "round %d: acknowledged entry %d", round, idx)
			require.Equal(t, want, string(ents[0].Data), "round %d: entry %d", round, idx)
		}
		last, err := logs.LastIndex()
		require.NoError(t, err)
		t.Logf("round %d: %d acknowledged entries intact, log ends at %d", round, len(acked), last)
		require.NoError(t, logs.Close())
	}
}
