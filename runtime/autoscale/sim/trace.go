package sim

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// LoadTrace reads a trace of one non-negative number of requests per second
// per line. Blank lines are errors: a gap in a trace is data loss.
func LoadTrace(r io.Reader) ([]float64, error) {
	var out []float64
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		if v, ok := parseCount(sc.Bytes()); ok {
			out = append(out, v)
			continue
		}
		s := strings.TrimSpace(sc.Text())
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 || v != v || v > 1e12 {
			return nil, fmt.Errorf("sim: trace line %d: want a non-negative request count, got %q", line, truncate(s))
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sim: trace after line %d: %w", len(out), err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sim: trace is empty")
	}
	return out, nil
}

// parseCount is the fast path for the common line: a short decimal integer.
func parseCount(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return float64(v), true
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// LoadTraceFile reads a trace file, gunzipping it when its name ends in .gz.
func LoadTraceFile(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sim: open trace: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("sim: trace %s: reading gzip: %w", path, err)
		}
		defer z.Close()
		r = z
	}
	out, err := LoadTrace(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// Scaling maps a raw trace to the simulated load.
type Scaling struct {
	// Factor multiplies every rate (more users on the same pattern).
	Factor float64
	// Compress plays Compress trace seconds in one simulated second (their
	// mean rate), so a day lasts 86400/Compress simulated seconds. 1 keeps
	// real time.
	Compress int
	// Smooth averages the rate over a trailing window of this many
	// simulated seconds (0 or 1: none). A scaled per-second trace of a small
	// site is far burstier than the same users on a big one; the window
	// keeps the trace's minute-scale shape without multiplying its
	// per-second noise by Factor.
	Smooth int
}

// String describes the scaling for result tables.
func (s Scaling) String() string {
	return fmt.Sprintf("rate x%g, time compressed x%d, %ds trailing mean", s.Factor, max(s.Compress, 1), max(s.Smooth, 1))
}

// Scale applies s to raw and returns the load in requests per simulated
// second.
func Scale(raw []float64, s Scaling) []float64 {
	c := max(s.Compress, 1)
	out := make([]float64, 0, len(raw)/c+1)
	for i := 0; i < len(raw); i += c {
		end := min(i+c, len(raw))
		sum := 0.0
		for _, v := range raw[i:end] {
			sum += v
		}
		out = append(out, s.Factor*sum/float64(end-i))
	}
	w := max(s.Smooth, 1)
	if w == 1 {
		return out
	}
	sm := make([]float64, len(out))
	sum := 0.0
	for i, v := range out {
		sum += v
		if i >= w {
			sum -= out[i-w]
		}
		sm[i] = sum / float64(min(i+1, w))
	}
	return sm
}
