package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/autoscalewire"
	"github.com/dwsdk/distributed/runtime/autoscale"
	"github.com/dwsdk/distributed/runtime/swim"
)

// TestFailingScalerStartBacksOff: when the leader cannot start its
// auto-scaler (here its data directory cannot hold the children's log),
// it retries with a capped exponential backoff rather than on every 200 ms
// tick, and a leadership change starts the backoff afresh. The loop is
// driven with a virtual clock; each attempt logs one error.
func TestFailingScalerStartBacksOff(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	var logs bytes.Buffer
	n := &Node{cfg: Config{Autoscale: true, DataDir: filepath.Join(blocker, "data")},
		log: slog.New(slog.NewTextHandler(&logs, nil))}
	s := newLeaderScaler(n)
	attempts := func() int { return strings.Count(logs.String(), "level=ERROR") }

	ctx := context.Background()
	t0 := time.Unix(1000, 0)
	const tick = 200 * time.Millisecond
	var at []time.Duration // when start was attempted, since t0
	for now := time.Duration(0); now <= 5*time.Minute; now += tick {
		before := attempts()
		s.step(ctx, t0.Add(now), true)
		if attempts() > before {
			at = append(at, now)
		}
	}
	sec := func(s ...int) []time.Duration {
		var out []time.Duration
		for _, x := range s {
			out = append(out, time.Duration(x)*time.Second)
		}
		return out
	}
	require.Equal(t, sec(0, 1, 3, 7, 15, 31, 63, 123, 183, 243), at,
		"retries 1 s apart, doubling up to a minute")
	require.Contains(t, logs.String(), "not a directory", "the error is logged")
	require.Contains(t, logs.String(), "retry_in=1m0s")

	// Losing and regaining leadership retries at once, then 1 s later.
	end := t0.Add(5 * time.Minute)
	s.step(ctx, end, false)
	before := attempts()
	s.step(ctx, end, true)
	require.Equal(t, before+1, attempts(), "a new leadership term retries at once")
	s.step(ctx, end.Add(999*time.Millisecond), true)
	require.Equal(t, before+1, attempts())
	s.step(ctx, end.Add(time.Second), true)
	require.Equal(t, before+2, attempts(), "the backoff restarted from 1 s")
}

// TestClusterSizeCountsSuspectsAndStartingNodes: the node count the
// auto-scaler sees (Executor.Nodes: "including nodes still starting")
// counts suspect members, which are usually still running and only slow to
// answer (ignoring them would add a node on every transient suspicion and
// remove it again once the suspicion is refuted), and the children this
// node started that have not joined SWIM yet; not dead or departed members,
// nor a child that is already in SWIM's list in any state.
func TestClusterSizeCountsSuspectsAndStartingNodes(t *testing.T) {
	m := func(name string, s swim.State) memberInfo {
		return memberInfo{Member: swim.Member{Name: name, State: s}}
	}
	for _, tc := range []struct {
		name     string
		members  []memberInfo
		children []string
		want     int
	}{
		{"alive", []memberInfo{m("a", swim.StateAlive), m("b", swim.StateAlive)}, nil, 2},
		{"suspect counts", []memberInfo{m("a", swim.StateAlive), m("b", swim.StateSuspect), m("c", swim.StateAlive)}, nil, 3},
		{"dead and left do not", []memberInfo{m("a", swim.StateAlive), m("b", swim.StateDead), m("c", swim.StateLeft)}, nil, 1},
		{"child still starting", []memberInfo{m("a", swim.StateAlive)}, []string{"a-x-0", "a-x-1"}, 3},
		{"child joined", []memberInfo{m("a", swim.StateAlive), m("a-x-0", swim.StateAlive)}, []string{"a-x-0"}, 2},
		{"child leaving", []memberInfo{m("a", swim.StateAlive), m("a-x-0", swim.StateLeft)}, []string{"a-x-0"}, 1},
		{"child suspect", []memberInfo{m("a", swim.StateAlive), m("a-x-0", swim.StateSuspect)}, []string{"a-x-0"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, clusterSize(tc.members, tc.children))
		})
	}
}

// TestNewLeaderKeepsThePreviousLeadersCooldown: the scaler runs on the Raft
// leader and its state restarts with each leadership term. A new leader
// elected 10 s after the previous one added a node (the youngest member
// started then) must not scale again before the cooldown has passed since
// that change; nor 10 s after the previous leader asked a member to leave.
// A crashed member is no scale event.
func TestNewLeaderKeepsThePreviousLeadersCooldown(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	started := func(name string, at time.Time) memberInfo {
		m := memberInfo{Member: swim.Member{Name: name, State: swim.StateAlive, Since: at}}
		m.meta.Epoch = uint64(at.UnixNano())
		return m
	}
	gone := func(name string, s swim.State, at time.Time) memberInfo {
		return memberInfo{Member: swim.Member{Name: name, State: s, Since: at}}
	}
	old := now.Add(-time.Hour)
	for _, tc := range []struct {
		name    string
		members []memberInfo
		blocked bool
	}{
		{"a member started 10 s ago", []memberInfo{started("a", old), started("b", now.Add(-10*time.Second))}, true},
		{"a member left 10 s ago", []memberInfo{started("a", old), gone("c", swim.StateLeft, now.Add(-10*time.Second))}, true},
		{"a member crashed 10 s ago", []memberInfo{started("a", old), gone("c", swim.StateDead, now.Add(-10*time.Second))}, false},
		{"no change for an hour", []memberInfo{started("a", old), started("b", old)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := autoscale.DefaultConfig()
			cfg.Clock = autoscale.NewManualClock(now)
			cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			metrics := autoscale.NewStaticMetrics(map[string]float64{
				autoscale.MetricCPU: 95, autoscale.MetricMemory: 50, autoscale.MetricQueueDepth: 0})
			a, err := newClusterScaler(cfg, metrics, autoscale.NewRecorder(2), tc.members)
			require.NoError(t, err)
			d, err := a.Evaluate(context.Background())
			require.NoError(t, err)
			require.Equal(t, tc.blocked, autoscale.Blocked(d, autoscale.BlockCooldown), "%+v", d.Blocked)
			require.Equal(t, tc.blocked, d.Action == autoscale.ActionNone)
		})
	}
}

// TestClusterLoadOfUnansweringMembersIsALowerBound: a member too busy to
// answer its load in time (kubernetes/kubernetes#130130: pods unready at
// peak traffic kept the HPA from scaling out) makes the cluster's load a
// partial sum: the scaler still scales up on what the others report, and
// never scales down on it.
func TestClusterLoadOfUnansweringMembersIsALowerBound(t *testing.T) {
	member := func(name, addr string, s swim.State) memberInfo {
		m := memberInfo{Member: swim.Member{Name: name, State: s}}
		m.meta.HTTPAddr = addr
		return m
	}
	ms := []memberInfo{member("self", "a", swim.StateAlive), member("b", "b", swim.StateAlive),
		member("c", "c", swim.StateSuspect), member("d", "d", swim.StateDead)}
	loads := map[string]float64{"a": 1000, "b": 250, "c": 150, "d": 1000}
	ask := func(addr string) (float64, error) { return loads[addr], nil }

	total, err := sumLoad(100, "self", ms, ask)
	require.NoError(t, err)
	require.Equal(t, 500.0, total, "own + b + c: not itself twice, not the dead")

	slow := func(addr string) (float64, error) {
		if addr == "c" {
			return 0, context.DeadlineExceeded
		}
		return loads[addr], nil
	}
	total, err = sumLoad(100, "self", ms, slow)
	require.ErrorIs(t, err, autoscale.ErrPartial)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "c: ")
	require.Equal(t, 350.0, total)

	// Through the scaler, 3 nodes, queue up at 100 per node: 350 read of
	// more is already above it, so it scales up; 150 read is not, and it
	// holds.
	for _, tc := range []struct {
		b      float64
		action autoscalewire.Action
	}{{250, autoscale.ActionScaleUp}, {50, autoscale.ActionNone}} {
		cfg := autoscale.DefaultConfig()
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		cfg.CPU.Disabled, cfg.Memory.Disabled = true, true
		metrics := autoscale.MetricFunc(func(context.Context, string) (float64, error) {
			return sumLoad(100, "self", ms, func(addr string) (float64, error) {
				if addr == "b" {
					return tc.b, nil
				}
				return slow(addr)
			})
		})
		a, err := autoscale.New(cfg, metrics, autoscale.NewRecorder(3))
		require.NoError(t, err)
		d, err := a.Evaluate(context.Background())
		require.NoError(t, err)
		require.Equal(t, tc.action, d.Action, d.Reason)
	}
}
