package wal_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft/raftstoretest"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

// crashChildEnv switches the test binary into the crash child: it appends
// to the WAL in the named directory and prints "ack N" once entry N is
// durable, until it is killed.
const crashChildEnv = "WAL_CRASH_CHILD_DIR"

func crashCfg() wal.Config {
	cfg := wal.DefaultConfig()
	cfg.SegmentSize = 32 << 10 // roll often while being killed
	return cfg
}

// crashData is the payload of entry i: long enough that records span pages.
func crashData(i uint64) []byte {
	return []byte(strings.Repeat(string(raftstoretest.Data(i, 1)), 1+int(i%7)*10))
}

func crashChild(dir string) {
	w, err := wal.Open(dir, crashCfg())
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	last, _ := w.LastIndex()
	var (
		mu    sync.Mutex // orders appends
		outMu sync.Mutex
		next  = last + 1
	)
	fmt.Printf("start %d\n", next)
	var wg sync.WaitGroup
	for a := 0; a < 4; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				n := uint64(1 + i%3)
				es := make([]raftwire.Entry, n)
				for k := range es {
					es[k] = raftwire.Entry{Index: i + uint64(k), Term: 1, Data: crashData(i + uint64(k))}
				}
				next += n
				var err error
				if a == 0 {
					err = w.Append(es) // the synchronous path, writing inline when idle
					mu.Unlock()
				} else {
					ch := w.AppendAsync(es)
					mu.Unlock()
					err = <-ch
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(3)
				}
				outMu.Lock()
				fmt.Printf("ack %d\n", i+n-1) // os.Stdout is unbuffered: one write per line
				outMu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestSIGKILLLosesNoAcknowledgedEntry kills a child process in the middle
// of appending, several times, and checks after each kill that every entry
// the child acknowledged is in the reopened WAL, intact.
func TestSIGKILLLosesNoAcknowledgedEntry(t *testing.T) {
	dir := t.TempDir()
	const rounds, acksPerRound = 3, 400
	var maxAck uint64
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(out)
		acks, killed := 0, false
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "ack "); ok {
				i, err := strconv.ParseUint(n, 10, 64)
				require.NoError(t, err)
				maxAck = max(maxAck, i)
				acks++
			} else if n, ok := strings.CutPrefix(line, "start "); ok {
				i, err := strconv.ParseUint(n, 10, 64)
				require.NoError(t, err)
				require.Greater(t, i, maxAck, "the restarted child resumes after every acknowledged entry")
			}
			if acks == acksPerRound && !killed {
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				killed = true // keep reading: lines written before the kill were acknowledged
			}
		}
		err = cmd.Wait()
		require.True(t, killed, "child exited before being killed: %v", err)
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())

		w, err := wal.Open(dir, crashCfg())
		require.NoError(t, err)
		last, err := w.LastIndex()
		require.NoError(t, err)
		t.Logf("round %d: max acknowledged %d, recovered last index %d", round, maxAck, last)
		require.GreaterOrEqual(t, last, maxAck, "an acknowledged entry was lost")
		es, err := w.Entries(1, last+1, 0)
		require.NoError(t, err)
		for k, e := range es {
			require.Equal(t, uint64(k+1), e.Index)
			require.Equal(t, crashData(e.Index), e.Data, "entry %d damaged", e.Index)
		}
		require.NoError(t, w.Close())
	}
}
