package autoscale

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// ContainerConfig configures ContainerMetrics. The zero value reads the
// real system.
type ContainerConfig struct {
	// CgroupRoot is where the cgroup hierarchy is mounted
	// (default /sys/fs/cgroup).
	CgroupRoot string
	// SelfCgroup is the process's cgroup membership file
	// (default /proc/self/cgroup).
	SelfCgroup string
	// MemInfo is the meminfo file giving total memory when there is no
	// memory limit (default /proc/meminfo).
	MemInfo string
	// NumCPU is the CPU count when there is no CPU limit
	// (default runtime.NumCPU()).
	NumCPU int
	// Queue is the application's queue-depth gauge; nil makes
	// MetricQueueDepth unreadable.
	Queue *Gauge
	// Custom serves further metrics by name.
	Custom map[string]func(context.Context) (float64, error)
	// Clock measures the wall time between CPU readings (default the
	// system clock).
	Clock Clock
}

// ErrNoCPUInterval is returned when two CPU readings are at the same instant.
var ErrNoCPUInterval = errors.New("autoscale: no time elapsed since the previous CPU reading")

// ContainerMetrics is a MetricProvider reading CPU utilisation and memory
// as a container sees them: from cgroup v2, then cgroup v1, falling back to
// the process (getrusage, runtime/metrics). CPU utilisation is the CPU time
// used between two readings over the wall time times the CPU limit (the
// cgroup quota, else the CPU count), in percent; memory is the working set
// over the limit (the cgroup limit, else GOMEMLIMIT for the process, else
// total memory). Safe for concurrent use.
type ContainerMetrics struct {
	cfg ContainerConfig
	cpu cpuSource
	mem memSource

	mu       sync.Mutex
	lastAt   time.Time
	lastUsed float64
}

// NewContainerMetrics detects the sources and takes the first CPU reading,
// the baseline of the first utilisation.
func NewContainerMetrics(cfg ContainerConfig) (*ContainerMetrics, error) {
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = "/sys/fs/cgroup"
	}
	if cfg.SelfCgroup == "" {
		cfg.SelfCgroup = "/proc/self/cgroup"
	}
	if cfg.MemInfo == "" {
		cfg.MemInfo = "/proc/meminfo"
	}
	if cfg.NumCPU <= 0 {
		cfg.NumCPU = runtime.NumCPU()
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	m := &ContainerMetrics{cfg: cfg}
	m.cpu, m.mem = detectCgroup(cfg.CgroupRoot, cfg.SelfCgroup)
	if m.cpu == nil {
		m.cpu = processCPU{}
	}
	if m.mem == nil {
		m.mem = processMemory{}
	}
	used, err := m.cpu.usage()
	if err != nil {
		return nil, fmt.Errorf("autoscale: first CPU reading from %s: %w", m.cpu.name(), err)
	}
	m.lastAt, m.lastUsed = cfg.Clock.Now(), used
	return m, nil
}

// Sources names where CPU and memory are read from, for logs.
func (m *ContainerMetrics) Sources() (cpu, memory string) { return m.cpu.name(), m.mem.name() }

// Metric serves MetricCPU, MetricMemory, MetricQueueDepth and the custom
// metrics.
func (m *ContainerMetrics) Metric(ctx context.Context, name string) (float64, error) {
	switch name {
	case MetricCPU:
		return m.CPUPercent()
	case MetricMemory:
		return m.MemoryPercent()
	case MetricQueueDepth:
		if m.cfg.Queue == nil {
			return 0, fmt.Errorf("%w %q: no queue gauge configured", ErrUnknownMetric, name)
		}
		return m.cfg.Queue.Value(), nil
	}
	if f, ok := m.cfg.Custom[name]; ok {
		return f(ctx)
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownMetric, name)
}

// CPUPercent returns the CPU utilisation since the previous call (or since
// NewContainerMetrics), in percent of the CPU limit.
func (m *ContainerMetrics) CPUPercent() (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	used, err := m.cpu.usage()
	if err != nil {
		return 0, fmt.Errorf("autoscale: cpu from %s: %w", m.cpu.name(), err)
	}
	cores, err := m.cpu.cores()
	if err != nil {
		return 0, fmt.Errorf("autoscale: cpu limit from %s: %w", m.cpu.name(), err)
	}
	if cores == 0 {
		cores = float64(m.cfg.NumCPU)
	}
	now := m.cfg.Clock.Now()
	wall := now.Sub(m.lastAt)
	if wall <= 0 {
		return 0, ErrNoCPUInterval
	}
	delta := used - m.lastUsed
	m.lastAt, m.lastUsed = now, used
	if delta < 0 {
		return 0, fmt.Errorf("autoscale: cpu from %s: usage went backwards by %.0f ns", m.cpu.name(), -delta)
	}
	return percent(delta, float64(wall.Nanoseconds())*cores), nil
}

// MemoryPercent returns the memory in use in percent of the limit.
func (m *ContainerMetrics) MemoryPercent() (float64, error) {
	used, limit, err := m.mem.memory()
	if err != nil {
		return 0, fmt.Errorf("autoscale: memory from %s: %w", m.mem.name(), err)
	}
	if limit == 0 {
		if limit, err = memTotal(m.cfg.MemInfo); err != nil {
			return 0, fmt.Errorf("autoscale: memory from %s has no limit and total memory is unknown: %w", m.mem.name(), err)
		}
	}
	return percent(used, limit), nil
}
