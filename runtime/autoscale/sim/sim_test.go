package sim

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dwsdk/distributed/runtime/autoscale"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const fixture = "testdata/nasa-1995-07-13.txt.gz"

func TestLoadTrace(t *testing.T) {
	got, err := LoadTrace(strings.NewReader("0\n3\n 12 \n"))
	require.NoError(t, err)
	require.Equal(t, []float64{0, 3, 12}, got)

	for _, tc := range []struct{ in, want string }{
		{"1\n2\nx\n", `trace line 3: want a non-negative request count, got "x"`},
		{"1\n\n2\n", `trace line 2: want a non-negative request count, got ""`},
		{"-1\n", `trace line 1`},
		{"NaN\n", `trace line 1`},
		{"", "trace is empty"},
	} {
		_, err := LoadTrace(strings.NewReader(tc.in))
		require.ErrorContains(t, err, tc.want, "input %q", tc.in)
	}
}

func TestLoadTraceFile(t *testing.T) {
	day, err := LoadTraceFile(fixture)
	require.NoError(t, err)
	require.Len(t, day, 86400)

	dir := t.TempDir()
	plain := filepath.Join(dir, "t.txt")
	require.NoError(t, os.WriteFile(plain, []byte("4\n5\n"), 0o644))
	got, err := LoadTraceFile(plain)
	require.NoError(t, err)
	require.Equal(t, []float64{4, 5}, got)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("4\nfive\n"))
	require.NoError(t, zw.Close())
	bad := filepath.Join(dir, "t.txt.gz")
	require.NoError(t, os.WriteFile(bad, gz.Bytes(), 0o644))
	_, err = LoadTraceFile(bad)
	require.ErrorContains(t, err, "t.txt.gz: sim: trace line 2")

	require.NoError(t, os.WriteFile(bad, []byte("not gzip"), 0o644))
	_, err = LoadTraceFile(bad)
	require.ErrorContains(t, err, "gzip")

	_, err = LoadTraceFile(filepath.Join(dir, "absent"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestNASATraceIfPresent checks the full trace's documented shape; it needs
// ../shared beside the repository, as CI has it.
func TestNASATraceIfPresent(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "shared", "traces", "nasa-http-1995-rps.txt.gz")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("full NASA trace not found at %s (it lives in ../shared beside the repository): %v", path, err)
	}
	raw, err := LoadTraceFile(path)
	require.NoError(t, err)
	require.Len(t, raw, 5059950)
	sum, peak := 0.0, 0.0
	for _, v := range raw {
		sum += v
		peak = max(peak, v)
	}
	require.Equal(t, 3461610.0, sum)
	require.Equal(t, 20.0, peak)
}

func TestScale(t *testing.T) {
	raw := []float64{1, 3, 5, 7, 9}
	require.Equal(t, []float64{10, 30, 50, 70, 90}, Scale(raw, Scaling{Factor: 10}))
	require.Equal(t, []float64{20, 60, 90}, Scale(raw, Scaling{Factor: 10, Compress: 2}), "means of (1,3), (5,7), (9)")
	require.Equal(t, []float64{1, 2, 4, 6, 8}, Scale(raw, Scaling{Factor: 1, Smooth: 2}), "trailing mean of 2")
	require.Equal(t, "rate x10, time compressed x2, 60s trailing mean", Scaling{Factor: 10, Compress: 2, Smooth: 60}.String())
}

// scripted adds or removes nodes at given seconds.
type scripted struct {
	every time.Duration
	at    map[int64]int
}

func (s *scripted) Name() string            { return "scripted" }
func (s *scripted) Interval() time.Duration { return s.every }
func (s *scripted) Start(*Cluster) error    { return nil }
func (s *scripted) Control(c *Cluster) error {
	switch n := s.at[c.Now()]; {
	case n > 0:
		c.Add(n)
	case n < 0:
		c.Remove(-n)
	}
	return nil
}

// TestCapacityModel checks the model by hand: 1 node of 10 req/s, load 30
// req/s from second 0; a node added at second 2 is ready at second 4
// (start-up 2 s); backlog carries over; the SLO is 1 s of queueing.
func TestCapacityModel(t *testing.T) {
	m := Model{Capacity: 10, Startup: 2 * time.Second, SLO: time.Second, InitialNodes: 1, FlapWindow: 60 * time.Second}
	load := make([]float64, 120)
	for i := range 6 {
		load[i] = 30
	}
	p := &scripted{every: time.Second, at: map[int64]int{2: 3, 70: -2, 80: +1, 200: 1}}
	r, err := Replay(load, m, p, Options{SampleEvery: 1})
	require.NoError(t, err)
	s := r.Series
	// Seconds 0-3: 10 served per second, backlog 20, 40, 60, 80.
	require.Equal(t, 20.0, s[0].Backlog)
	require.Equal(t, 40.0, s[1].Backlog)
	require.Equal(t, 4, s[2].Nodes, "3 nodes added at second 2")
	require.Equal(t, 10.0, s[3].Capacity, "not ready before second 4")
	require.Equal(t, 80.0, s[3].Backlog)
	// Second 4: 40 req/s capacity, 80+30 waiting: 70 left; second 5: 60;
	// then no load: 20, 0.
	require.Equal(t, 40.0, s[4].Capacity)
	require.Equal(t, 70.0, s[4].Backlog)
	require.Equal(t, 60.0, s[5].Backlog)
	require.Equal(t, 20.0, s[6].Backlog)
	require.Equal(t, 0.0, s[7].Backlog)
	// Violations (backlog over 1 s of capacity) in seconds 0-6: one
	// minute.
	require.Equal(t, 1, r.SLOMinutes)
	// Node time: 1 node for 2 s, 4 nodes for 68 s, 2 for 10 s, 3 for 40 s.
	require.InDelta(t, (2*1+68*4+10*2+40*3)/3600.0, r.NodeHours, 1e-9)
	require.Equal(t, 3, r.Actions)
	require.Equal(t, 1, r.Flaps, "up at 80 within 60 s of the down at 70")
	require.Equal(t, 4, r.PeakNodes)
}

func TestModelValidate(t *testing.T) {
	bad := DefaultModel()
	bad.Capacity = 0
	_, err := Replay([]float64{1}, bad, &Static{N: 1}, Options{})
	require.ErrorContains(t, err, "capacity must be a positive number")
	bad = DefaultModel()
	bad.SLO = 0
	require.ErrorContains(t, bad.Validate(), "SLO must be positive")
}

func TestHPAReplicaCalculator(t *testing.T) {
	h := DefaultHPA(50)
	tests := []struct {
		name string
		o    Observation
		want int
	}{
		{"within tolerance", Observation{CPU: 54, Nodes: 10, Ready: 10}, 10},
		{"above tolerance", Observation{CPU: 56, Nodes: 10, Ready: 10}, 12},
		{"below tolerance", Observation{CPU: 40, Nodes: 10, Ready: 10}, 8},
		{"ceil", Observation{CPU: 100, Nodes: 3, Ready: 3}, 6},
		{"unready pods count as 0 when scaling up", Observation{CPU: 100, Nodes: 4, Ready: 2}, 4},
		{"unready pods: still up", Observation{CPU: 100, Nodes: 3, Ready: 2}, 4},
		{"no ready pod: no change", Observation{CPU: 100, Nodes: 2}, 2},
		{"scale-down ignores unready pods", Observation{CPU: 20, Nodes: 10, Ready: 8}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, h.desired(tc.o)) })
	}
}

func TestHPABehaviour(t *testing.T) {
	h := DefaultHPA(50)
	// Scale-up is limited to max(100 %, 4 pods) per 15 s.
	require.Equal(t, 6, h.limit(0, 2, 50), "2 + 4 pods beats 2 * 2")
	require.Equal(t, 20, h.limit(0, 10, 50), "100 % of 10 beats 4 pods")
	h.events = []hpaRec{{at: 0, n: 4}}
	require.Equal(t, 6, h.limit(10, 6, 50), "the period started at 2 replicas")
	require.Equal(t, 12, h.limit(15, 6, 50), "a new period")
	require.Equal(t, 100, h.limit(15, 90, 500), "max replicas")

	// Scale-down takes the highest recommendation of the last 300 s.
	h = DefaultHPA(50)
	h.recs = []hpaRec{{at: 0, n: 9}, {at: 100, n: 7}}
	require.Equal(t, 9, h.stabilise(200, 10, 4))
	// Kubernetes keeps a recommendation while its time is after now-300s:
	// one exactly 300 s old has left the window.
	require.Equal(t, 7, h.stabilise(300, 10, 4), "the first recommendation left the window")
	require.Equal(t, 12, h.stabilise(302, 10, 12), "no window for scale-up")
}

// TestReplayFixtureDay replays the busiest day of the trace (13 July 1995)
// with the README's scaling: the static fleet never violates the SLO, and
// the predictive scaler meets the bar on this day too: no more
// SLO-violation minutes than the HPA algorithm, at most 1.1x its
// node-hours, fewer scaling actions.
func TestReplayFixtureDay(t *testing.T) {
	raw, err := LoadTraceFile(fixture)
	require.NoError(t, err)
	load := Scale(raw, Scaling{Factor: 500, Compress: 1, Smooth: 60})
	m := DefaultModel()
	rs, err := Compare(load, m, append(DefaultPolicies(m, 50), StaticPeak(load, m)), Options{})
	require.NoError(t, err)
	t.Logf("\n%s", Table(rs))
	seed, pred, hpa, static := rs[0], rs[1], rs[2], rs[3]
	require.Equal(t, "ours (seed defaults)", seed.Policy)
	require.Zero(t, static.SLOMinutes)
	require.Zero(t, static.Actions)
	require.LessOrEqual(t, pred.SLOMinutes, hpa.SLOMinutes)
	require.Less(t, pred.Actions, hpa.Actions)
	require.LessOrEqual(t, pred.NodeHours, 1.1*hpa.NodeHours)
	require.Less(t, pred.NodeHours, static.NodeHours)
	for _, r := range rs {
		require.Positive(t, r.NodeHours)
		require.LessOrEqual(t, r.PeakNodes, 100)
	}
}

func TestOursReportsBadConfig(t *testing.T) {
	cfg := autoscale.DefaultConfig()
	cfg.MaxNodes = 0
	_, err := Replay([]float64{1, 2}, DefaultModel(), NewOurs("bad", cfg), Options{})
	require.ErrorContains(t, err, "nodes.max")
}

func FuzzLoadTrace(f *testing.F) {
	for _, s := range []string{"1\n2\n", "", "\n", "-1", "1e400", "0x10", "3\r\n4", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := LoadTrace(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, x := range v {
			if !(x >= 0) {
				t.Fatalf("accepted %v from %q", x, s)
			}
		}
	})
}
