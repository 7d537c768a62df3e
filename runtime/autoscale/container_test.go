package autoscale

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// copyTree copies a fixture cgroup tree so a test can change its files.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	require.NoError(t, err)
	return dst
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestContainerMetricsFixtures(t *testing.T) {
	tests := []struct {
		name      string
		tree      string
		self      string
		numCPU    int
		cpuFile   string // relative file to rewrite with the second usage
		cpuData   string
		wantCPU   float64
		wantMem   float64
		cpuSource string
		memSource string
	}{
		{name: "v2 with limits", tree: "v2", self: "self-cgroup-root", numCPU: 8,
			cpuFile: "cpu.stat", cpuData: "usage_usec 2500000\n",
			wantCPU: 75, wantMem: 37.5, cpuSource: "cgroup v2", memSource: "cgroup v2"},
		{name: "v2 unlimited", tree: "v2-unlimited", self: "self-cgroup-root", numCPU: 4,
			cpuFile: "cpu.stat", cpuData: "usage_usec 2000000\n",
			wantCPU: 25, wantMem: 12.5, cpuSource: "cgroup v2", memSource: "cgroup v2"},
		{name: "v2 nested cgroup from /proc/self/cgroup", tree: "v2-nested", self: "self-cgroup-nested", numCPU: 8,
			cpuFile: "kubepods/pod1/cpu.stat", cpuData: "usage_usec 2000000\n",
			wantCPU: 50, wantMem: 50, cpuSource: "kubepods/pod1", memSource: "kubepods/pod1"},
		{name: "v1 with limits", tree: "v1", self: "self-cgroup-root", numCPU: 8,
			cpuFile: "cpuacct/cpuacct.usage", cpuData: "1250000000\n",
			wantCPU: 50, wantMem: 50, cpuSource: "cgroup v1", memSource: "cgroup v1"},
		{name: "v1 unlimited, cpu,cpuacct mount", tree: "v1-unlimited", self: "self-cgroup-root", numCPU: 2,
			cpuFile: "cpu,cpuacct/cpuacct.usage", cpuData: "2000000000\n",
			wantCPU: 50, wantMem: 25, cpuSource: "cgroup v1", memSource: "cgroup v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := copyTree(t, filepath.Join("testdata", "cgroup", tc.tree))
			clock := NewManualClock(t0)
			m, err := NewContainerMetrics(ContainerConfig{CgroupRoot: root,
				SelfCgroup: filepath.Join("testdata", tc.self), MemInfo: filepath.Join("testdata", "meminfo"),
				NumCPU: tc.numCPU, Clock: clock})
			require.NoError(t, err)
			cpuSrc, memSrc := m.Sources()
			require.Contains(t, cpuSrc, tc.cpuSource)
			require.Contains(t, memSrc, tc.memSource)

			writeFile(t, filepath.Join(root, tc.cpuFile), tc.cpuData)
			clock.Advance(time.Second)
			cpu, err := m.Metric(context.Background(), MetricCPU)
			require.NoError(t, err)
			require.InDelta(t, tc.wantCPU, cpu, 1e-9)

			mem, err := m.Metric(context.Background(), MetricMemory)
			require.NoError(t, err)
			require.InDelta(t, tc.wantMem, mem, 1e-9)

			// No CPU used since: 0 %.
			clock.Advance(time.Second)
			cpu, err = m.CPUPercent()
			require.NoError(t, err)
			require.Zero(t, cpu)
		})
	}
}

func TestContainerMetricsMissingFilesFallBackToProcess(t *testing.T) {
	m, err := NewContainerMetrics(ContainerConfig{CgroupRoot: filepath.Join("testdata", "cgroup", "missing"),
		SelfCgroup: filepath.Join("testdata", "self-cgroup-root"), MemInfo: filepath.Join("testdata", "meminfo")})
	require.NoError(t, err)
	cpuSrc, memSrc := m.Sources()
	require.Equal(t, "process (getrusage)", cpuSrc)
	require.Equal(t, "process (runtime/metrics)", memSrc)

	// Burn some CPU so the process's usage moves, then read it.
	deadline := time.Now().Add(20 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	cpu, err := m.CPUPercent()
	require.NoError(t, err)
	require.GreaterOrEqual(t, cpu, 0.0)
	mem, err := m.MemoryPercent()
	require.NoError(t, err)
	require.Greater(t, mem, 0.0, "the Go runtime holds some memory")
	require.Less(t, mem, 100.0)
}

func TestContainerMetricsNoRootAtAll(t *testing.T) {
	m, err := NewContainerMetrics(ContainerConfig{CgroupRoot: filepath.Join(t.TempDir(), "absent"),
		SelfCgroup: filepath.Join(t.TempDir(), "absent"), MemInfo: filepath.Join(t.TempDir(), "absent")})
	require.NoError(t, err)
	cpuSrc, _ := m.Sources()
	require.Equal(t, "process (getrusage)", cpuSrc)
	_, err = m.MemoryPercent()
	require.ErrorContains(t, err, "total memory is unknown", "no limit and no meminfo: unreadable, never guessed")
}

func TestContainerMetricsMalformedFilesAreReported(t *testing.T) {
	clock := NewManualClock(t0)
	m, err := NewContainerMetrics(ContainerConfig{CgroupRoot: filepath.Join("testdata", "cgroup", "v2-malformed"),
		SelfCgroup: filepath.Join("testdata", "self-cgroup-root"), Clock: clock})
	require.NoError(t, err)
	clock.Advance(time.Second)
	_, err = m.CPUPercent()
	require.ErrorContains(t, err, "cpu.max")
	require.ErrorContains(t, err, `"lots"`)
	_, err = m.MemoryPercent()
	require.ErrorContains(t, err, "memory.current")
	require.ErrorContains(t, err, `"twelve"`)
}

func TestContainerMetricsCPUEdgeCases(t *testing.T) {
	root := copyTree(t, filepath.Join("testdata", "cgroup", "v2"))
	clock := NewManualClock(t0)
	m, err := NewContainerMetrics(ContainerConfig{CgroupRoot: root, SelfCgroup: filepath.Join("testdata", "self-cgroup-root"), Clock: clock})
	require.NoError(t, err)
	_, err = m.CPUPercent()
	require.ErrorIs(t, err, ErrNoCPUInterval)

	writeFile(t, filepath.Join(root, "cpu.stat"), "usage_usec 10\n")
	clock.Advance(time.Second)
	_, err = m.CPUPercent()
	require.ErrorContains(t, err, "went backwards")

	writeFile(t, filepath.Join(root, "cpu.stat"), "user_usec 10\n")
	clock.Advance(time.Second)
	_, err = m.CPUPercent()
	require.ErrorContains(t, err, "no usage_usec line")
}

func TestContainerMetricsQueueAndCustom(t *testing.T) {
	q := new(Gauge)
	m, err := NewContainerMetrics(ContainerConfig{Queue: q, Custom: map[string]func(context.Context) (float64, error){
		"latency_ms": func(context.Context) (float64, error) { return 12.5, nil },
	}})
	require.NoError(t, err)
	q.Set(40)
	q.Add(2)
	v, err := m.Metric(context.Background(), MetricQueueDepth)
	require.NoError(t, err)
	require.Equal(t, 42.0, v)
	v, err = m.Metric(context.Background(), "latency_ms")
	require.NoError(t, err)
	require.Equal(t, 12.5, v)
	_, err = m.Metric(context.Background(), "nope")
	require.ErrorIs(t, err, ErrUnknownMetric)

	noQueue, err := NewContainerMetrics(ContainerConfig{})
	require.NoError(t, err)
	_, err = noQueue.Metric(context.Background(), MetricQueueDepth)
	require.ErrorIs(t, err, ErrUnknownMetric)
}

// TestContainerMetricsThisMachine reads the real system: whatever the
// machine runs (cgroup v1, v2 or neither), both metrics are readable.
func TestContainerMetricsThisMachine(t *testing.T) {
	m, err := NewContainerMetrics(ContainerConfig{})
	require.NoError(t, err)
	cpuSrc, memSrc := m.Sources()
	t.Logf("cpu from %s, memory from %s", cpuSrc, memSrc)
	mem, err := m.MemoryPercent()
	require.NoError(t, err)
	require.Greater(t, mem, 0.0)
}

func FuzzCgroupParsers(f *testing.F) {
	for _, s := range []string{"max 100000", "150000 100000", "usage_usec 12\nuser_usec 3", "MemTotal: 100 kB",
		"", "max", "1 0", "-1 100000", "99999999999999999999999 1", "usage_usec -4", "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if cores, err := parseCPUMax("cpu.max", b); err == nil && cores < 0 {
			t.Fatalf("negative cores %v from %q", cores, b)
		}
		if v, ok, err := parseKeyed("cpu.stat", b, "usage_usec"); err == nil && ok && v < 0 {
			t.Fatalf("negative usage %v", v)
		}
		if v, err := parseUint("memory.current", b); err == nil && v < 0 {
			t.Fatalf("negative memory %v", v)
		}
	})
}

// TestContainerMetricsMalformedMemoryStat: the page cache subtracted from
// usage comes from memory.stat; a malformed one is reported like every
// other cgroup file, not silently read as no cache (which would inflate
// the working set and scale up for nothing). A memory.stat that is absent
// or lacks the line still means no cache to subtract.
func TestContainerMetricsMalformedMemoryStat(t *testing.T) {
	for _, tc := range []struct{ tree, stat, line string }{
		{"v2", "memory.stat", "inactive_file lots\n"},
		{"v1", "memory/memory.stat", "total_inactive_file -5\n"},
	} {
		t.Run(tc.tree, func(t *testing.T) {
			root := copyTree(t, filepath.Join("testdata", "cgroup", tc.tree))
			m, err := NewContainerMetrics(ContainerConfig{CgroupRoot: root,
				SelfCgroup: filepath.Join("testdata", "self-cgroup-root"), MemInfo: filepath.Join("testdata", "meminfo")})
			require.NoError(t, err)
			good, err := m.MemoryPercent()
			require.NoError(t, err)

			writeFile(t, filepath.Join(root, tc.stat), "anon 4096\n"+tc.line)
			_, err = m.MemoryPercent()
			require.ErrorContains(t, err, tc.stat)
			require.ErrorContains(t, err, "want an unsigned integer")

			writeFile(t, filepath.Join(root, tc.stat), "anon 4096\n")
			noCache, err := m.MemoryPercent()
			require.NoError(t, err)
			require.GreaterOrEqual(t, noCache, good)
			require.NoError(t, os.Remove(filepath.Join(root, tc.stat)))
			absent, err := m.MemoryPercent()
			require.NoError(t, err)
			require.Equal(t, noCache, absent)
		})
	}
}
