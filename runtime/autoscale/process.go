package autoscale

import (
	"fmt"
	"math"
	"runtime/metrics"
	"syscall"
)

// processCPU is the fallback CPU source: this process's user and system
// time from getrusage(2). Without a cgroup limit the machine's CPUs are the
// limit.
type processCPU struct{}

func (processCPU) name() string { return "process (getrusage)" }

func (processCPU) usage() (float64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return float64(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

func (processCPU) cores() (float64, error) { return 0, nil }

// processMemory is the fallback memory source: the memory the Go runtime
// holds from the OS (runtime/metrics), against GOMEMLIMIT when set.
type processMemory struct{}

func (processMemory) name() string { return "process (runtime/metrics)" }

var processMemorySamples = []string{
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/gc/gomemlimit:bytes",
}

func (processMemory) memory() (float64, float64, error) {
	s := make([]metrics.Sample, len(processMemorySamples))
	for i, n := range processMemorySamples {
		s[i].Name = n
	}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return 0, 0, fmt.Errorf("runtime/metrics: %s unsupported", x.Name)
		}
	}
	used := float64(s[0].Value.Uint64() - s[1].Value.Uint64())
	limit := float64(s[2].Value.Uint64())
	if limit >= math.MaxInt64 {
		limit = 0 // GOMEMLIMIT not set
	}
	return used, limit, nil
}
