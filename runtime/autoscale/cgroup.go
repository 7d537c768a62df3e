package autoscale

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errMissing marks a cgroup file that does not exist, so the reader falls
// back to the next source instead of reporting a broken one.
var errMissing = errors.New("missing")

// cpuSource reads cumulative CPU time and the CPU limit.
type cpuSource interface {
	// usage returns the cumulative CPU time in nanoseconds.
	usage() (float64, error)
	// cores returns the CPU limit in cores, or 0 when unlimited.
	cores() (float64, error)
	name() string
}

// memSource reads memory in use and the limit (0 when unlimited).
type memSource interface {
	memory() (used, limit float64, err error)
	name() string
}

func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, errMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}

// readUint reads a file holding one unsigned integer.
func readUint(path string) (float64, error) {
	b, err := readFile(path)
	if err != nil {
		return 0, err
	}
	return parseUint(path, b)
}

func parseUint(path string, b []byte) (float64, error) {
	s := strings.TrimSpace(string(b))
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: want an unsigned integer, got %q", path, truncate(s))
	}
	return float64(v), nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// parseKeyed finds key in a "key value" per line file (cpu.stat,
// memory.stat, /proc/meminfo with its "key: value kB" form).
func parseKeyed(path string, b []byte, key string) (float64, bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.TrimSuffix(f[0], ":") != key {
			continue
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %s: want an unsigned integer, got %q", path, key, truncate(f[1]))
		}
		return float64(v), true, nil
	}
	return 0, false, nil
}

// parseCPUMax parses cgroup v2 cpu.max: "max 100000" or "150000 100000".
func parseCPUMax(path string, b []byte) (float64, error) {
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, fmt.Errorf("%s: want \"<quota|max> <period>\", got %q", path, truncate(strings.TrimSpace(string(b))))
	}
	period, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil || period == 0 {
		return 0, fmt.Errorf("%s: bad period %q", path, truncate(f[1]))
	}
	if f[0] == "max" {
		return 0, nil
	}
	quota, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: bad quota %q", path, truncate(f[0]))
	}
	return float64(quota) / float64(period), nil
}

// v1Unlimited is the smallest memory.limit_in_bytes treated as "no limit"
// (the kernel reports PAGE_COUNTER_MAX rounded to pages, about 2^63).
const v1Unlimited = 1 << 62

// cgroupV2 reads one cgroup v2 directory.
type cgroupV2 struct{ dir string }

func (c cgroupV2) name() string { return "cgroup v2 " + c.dir }

func (c cgroupV2) usage() (float64, error) {
	p := filepath.Join(c.dir, "cpu.stat")
	b, err := readFile(p)
	if err != nil {
		return 0, err
	}
	v, ok, err := parseKeyed(p, b, "usage_usec")
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%s: no usage_usec line", p)
	}
	return v * 1e3, nil
}

func (c cgroupV2) cores() (float64, error) {
	p := filepath.Join(c.dir, "cpu.max")
	b, err := readFile(p)
	if errors.Is(err, errMissing) {
		return 0, nil // the root cgroup has no cpu.max: unlimited
	}
	if err != nil {
		return 0, err
	}
	return parseCPUMax(p, b)
}

func (c cgroupV2) memory() (float64, float64, error) {
	used, err := readUint(filepath.Join(c.dir, "memory.current"))
	if err != nil {
		return 0, 0, err
	}
	cache, err := inactiveFile(filepath.Join(c.dir, "memory.stat"), "inactive_file", used)
	if err != nil {
		return 0, 0, err
	}
	used -= cache
	p := filepath.Join(c.dir, "memory.max")
	b, err := readFile(p)
	if errors.Is(err, errMissing) {
		return used, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	if strings.TrimSpace(string(b)) == "max" {
		return used, 0, nil
	}
	limit, err := parseUint(p, b)
	return used, limit, err
}

// inactiveFile returns the reclaimable page cache to subtract from usage
// (the working set, as the kubelet computes it): 0 when the file or its
// line is absent, an error naming the file when it is unreadable or
// malformed.
func inactiveFile(path, key string, used float64) (float64, error) {
	b, err := readFile(path)
	if errors.Is(err, errMissing) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v, ok, err := parseKeyed(path, b, key)
	if err != nil || !ok || v > used {
		return 0, err
	}
	return v, nil
}

// cgroupV1CPU reads the cpu and cpuacct controllers of cgroup v1.
type cgroupV1CPU struct{ cpu, cpuacct string }

func (c cgroupV1CPU) name() string { return "cgroup v1 " + c.cpuacct }

func (c cgroupV1CPU) usage() (float64, error) {
	return readUint(filepath.Join(c.cpuacct, "cpuacct.usage"))
}

func (c cgroupV1CPU) cores() (float64, error) {
	qp := filepath.Join(c.cpu, "cpu.cfs_quota_us")
	b, err := readFile(qp)
	if errors.Is(err, errMissing) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	quota, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: want an integer, got %q", qp, truncate(s))
	}
	if quota <= 0 {
		return 0, nil // -1: unlimited
	}
	period, err := readUint(filepath.Join(c.cpu, "cpu.cfs_period_us"))
	if err != nil {
		return 0, err
	}
	if period == 0 {
		return 0, fmt.Errorf("%s: period is 0", filepath.Join(c.cpu, "cpu.cfs_period_us"))
	}
	return float64(quota) / period, nil
}

// cgroupV1Memory reads the memory controller of cgroup v1.
type cgroupV1Memory struct{ dir string }

func (c cgroupV1Memory) name() string { return "cgroup v1 " + c.dir }

func (c cgroupV1Memory) memory() (float64, float64, error) {
	used, err := readUint(filepath.Join(c.dir, "memory.usage_in_bytes"))
	if err != nil {
		return 0, 0, err
	}
	cache, err := inactiveFile(filepath.Join(c.dir, "memory.stat"), "total_inactive_file", used)
	if err != nil {
		return 0, 0, err
	}
	used -= cache
	limit, err := readUint(filepath.Join(c.dir, "memory.limit_in_bytes"))
	if err != nil {
		return 0, 0, err
	}
	if limit >= v1Unlimited {
		limit = 0
	}
	return used, limit, nil
}

// selfCgroups parses /proc/self/cgroup: "hierarchy:controllers:path" lines.
// The v2 path has an empty controller list and is returned under "".
func selfCgroups(path string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

// cgroupDir returns base/sub when it holds probe, else base: inside a
// container with a cgroup namespace the process's own cgroup is the root.
func cgroupDir(base, sub, probe string) string {
	if sub != "" && sub != "/" {
		d := filepath.Join(base, sub)
		if _, err := os.Stat(filepath.Join(d, probe)); err == nil {
			return d
		}
	}
	return base
}

// v1Controller finds a v1 controller's mount under root ("cpuacct" may be
// mounted as "cpu,cpuacct").
func v1Controller(root string, names ...string) (string, bool) {
	for _, n := range names {
		d := filepath.Join(root, n)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, true
		}
	}
	return "", false
}

// detectCgroup picks the CPU and memory sources under root, or nil for
// either when neither cgroup version serves it.
func detectCgroup(root, selfCgroupPath string) (cpuSource, memSource) {
	self := selfCgroups(selfCgroupPath)
	if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err == nil {
		v2 := cgroupV2{dir: cgroupDir(root, self[""], "cpu.stat")}
		var cpu cpuSource
		var mem memSource
		if _, err := v2.usage(); present(err) {
			cpu = v2
		}
		memDir := cgroupV2{dir: cgroupDir(root, self[""], "memory.current")}
		if _, _, err := memDir.memory(); present(err) {
			mem = memDir
		}
		return cpu, mem
	}
	var cpu cpuSource
	var mem memSource
	if acct, ok := v1Controller(root, "cpuacct", "cpu,cpuacct", "cpuacct,cpu"); ok {
		c := cgroupV1CPU{cpuacct: cgroupDir(acct, self["cpuacct"], "cpuacct.usage")}
		c.cpu = c.cpuacct
		if d, ok := v1Controller(root, "cpu", "cpu,cpuacct", "cpuacct,cpu"); ok {
			c.cpu = cgroupDir(d, self["cpu"], "cpu.cfs_quota_us")
		}
		if _, err := c.usage(); present(err) {
			cpu = c
		}
	}
	if d, ok := v1Controller(root, "memory"); ok {
		m := cgroupV1Memory{dir: cgroupDir(d, self["memory"], "memory.usage_in_bytes")}
		if _, _, err := m.memory(); present(err) {
			mem = m
		}
	}
	return cpu, mem
}

// present reports whether a probe found the source's files: a malformed
// file keeps the source, so its error is reported rather than hidden behind
// the fallback.
func present(probeErr error) bool { return !errors.Is(probeErr, errMissing) }

// memTotal reads MemTotal from a /proc/meminfo-format file, in bytes.
func memTotal(path string) (float64, error) {
	b, err := readFile(path)
	if err != nil {
		return 0, err
	}
	kb, ok, err := parseKeyed(path, b, "MemTotal")
	if err != nil {
		return 0, err
	}
	if !ok || kb == 0 {
		return 0, fmt.Errorf("%s: no MemTotal", path)
	}
	return kb * 1024, nil
}

func percent(part, whole float64) float64 {
	return math.Max(0, 100*part/whole)
}
