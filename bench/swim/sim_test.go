package swim

import (
	"fmt"
	"testing"
	"time"

	"github.com/dwsdk/distributed/runtime/swim"
)

// simDetect simulates n members with memberlist's LAN timings, kills one
// and returns, in virtual time, how long until the first member declared it
// dead (detection) and how long from then until every member knew
// (dissemination). Push-pull is off: dissemination is by gossip alone.
func simDetect(b *testing.B, n int, seed uint64) (detect, disseminate time.Duration, falseDeaths int) {
	s := swim.NewSim(seed)
	victim := fmt.Sprintf("m%05d", n/2)
	var first time.Time
	seen := 0
	nodes := make([]*swim.Node, n)
	for i := range nodes {
		cfg := swim.DefaultLANConfig()
		cfg.Name = fmt.Sprintf("m%05d", i)
		cfg.PushPullInterval = 0
		cfg.Events = func(e swim.Event) {
			if e.Type != swim.EventFailed {
				return
			}
			if e.Member.Name != victim {
				falseDeaths++
				return
			}
			if seen == 0 {
				first = s.Now()
			}
			seen++
		}
		node, err := s.AddNode(cfg)
		if err != nil {
			b.Fatal(err)
		}
		nodes[i] = node
	}
	s.Bootstrap(nodes...)
	s.Run(5 * time.Second)
	s.Kill(nodes[n/2])
	killed := s.Now()
	if !s.RunUntil(10*time.Minute, func() bool { return seen >= n-1 }) {
		b.Fatalf("n=%d: only %d of %d members learned of the failure", n, seen, n-1)
	}
	return first.Sub(killed), s.Now().Sub(first), falseDeaths
}

// simResult caches simulations: they are deterministic for a seed, so the
// repeated runs of -count report the one result instead of spending minutes
// and gigabytes (10^8 member-table entries) recomputing it.
var simResult = map[int][3]float64{}

func cachedSimDetect(b *testing.B, n int) (detect, disseminate float64, falseDeaths int) {
	if r, ok := simResult[n]; ok {
		return r[0], r[1], int(r[2])
	}
	d, s, f := simDetect(b, n, 1)
	simResult[n] = [3]float64{d.Seconds(), s.Seconds(), float64(f)}
	return d.Seconds(), s.Seconds(), f
}

// BenchmarkSimScale runs the same failure in a simulated 1,000- and
// 10,000-member cluster (100 and 1,000 in the 1x smoke run) and reports
// detection and dissemination times in virtual seconds, and their ratio.
func BenchmarkSimScale(b *testing.B) {
	small, large := 100, 1000
	if full() {
		small, large = 1000, 10000
	}
	b.Run("impl=ours", func(b *testing.B) {
		for range b.N {
			d1, s1, f1 := cachedSimDetect(b, small)
			d2, s2, f2 := cachedSimDetect(b, large)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(d1, fmt.Sprintf("n%d-detect-s", small))
			b.ReportMetric(s1, fmt.Sprintf("n%d-disseminate-s", small))
			b.ReportMetric(d2, fmt.Sprintf("n%d-detect-s", large))
			b.ReportMetric(s2, fmt.Sprintf("n%d-disseminate-s", large))
			b.ReportMetric(d2/d1, "detect-ratio")
			b.ReportMetric(float64(f1+f2), "false-deaths")
		}
	})
}
