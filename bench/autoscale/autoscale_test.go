// Package autoscale benchmarks the production auto-scaler against
// Kubernetes' HPA algorithm and a static peak-sized fleet on the NASA trace
// (see runtime/autoscale/sim). Each sub-benchmark replays the trace once per
// iteration and reports the replay's outcome with b.ReportMetric:
// slo-violation-min, node-hours, scaling-actions and flaps, so benchstat
// puts the policies side by side with -col /impl.
package autoscale

import (
	"context"
	"flag"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dwsdk/distributed/runtime/autoscale"
	"github.com/dwsdk/distributed/runtime/autoscale/sim"
)

var tracePath = flag.String("trace", "../../../shared/traces/nasa-http-1995-rps.txt.gz",
	"request-rate trace to replay (default: the shared NASA trace beside the repository)")

// fixture is one day of the same trace kept in the repository.
const fixture = "../../runtime/autoscale/sim/testdata/nasa-1995-07-13.txt.gz"

var (
	loadOnce sync.Once
	load     []float64
	loadName string
	loadErr  error
)

// scaling is the README's: rate x500, real time, 60 s trailing mean.
var scaling = sim.Scaling{Factor: 500, Compress: 1, Smooth: 60}

func traceLoad(b *testing.B) ([]float64, string) {
	loadOnce.Do(func() {
		path, name := *tracePath, "nasa"
		if _, err := os.Stat(path); err != nil {
			// Without ../shared (a checkout on its own), replay the
			// repository's one-day fixture rather than nothing.
			path, name = fixture, "nasa-day"
		}
		raw, err := sim.LoadTraceFile(path)
		load, loadName, loadErr = sim.Scale(raw, scaling), name, err
	})
	if loadErr != nil {
		b.Fatal(loadErr)
	}
	return load, loadName
}

func BenchmarkReplay(b *testing.B) {
	load, name := traceLoad(b)
	if name != "nasa" {
		b.Logf("full trace not found at %s: replaying the one-day fixture %s", *tracePath, fixture)
	}
	m := sim.DefaultModel()
	policies := append(sim.DefaultPolicies(m, 50), sim.StaticPeak(load, m))
	impls := []string{"ours-seed", "ours-predictive", "hpa", "static-peak"}
	for i, p := range policies {
		b.Run("trace="+name+"/impl="+impls[i], func(b *testing.B) {
			var r sim.Result
			for b.Loop() {
				var err error
				if r, err = sim.Replay(load, m, p, sim.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.SLOMinutes), "slo-violation-min")
			b.ReportMetric(r.NodeHours, "node-hours")
			b.ReportMetric(float64(r.Actions), "scaling-actions")
			b.ReportMetric(float64(r.Flaps), "flaps")
		})
	}
}

// BenchmarkDecision measures one evaluation of the production scaler with
// the in-memory executor (the cost of a decision, not of acting on it).
func BenchmarkDecision(b *testing.B) {
	for _, predictive := range []bool{false, true} {
		impl := "ours-seed"
		cfg := autoscale.DefaultConfig()
		if predictive {
			impl = "ours-predictive"
			cfg.Predictive = autoscale.DefaultPredictive(time.Minute)
		}
		b.Run("op=evaluate/impl="+impl, func(b *testing.B) {
			clock := autoscale.NewManualClock(time.Unix(0, 0))
			cfg.Clock = clock
			s, err := autoscale.NewInMemory(cfg, 10)
			if err != nil {
				b.Fatal(err)
			}
			s.Metrics.Set(autoscale.MetricCPU, 55)
			s.Metrics.Set(autoscale.MetricMemory, 50)
			ctx := context.Background()
			for b.Loop() {
				clock.Advance(15 * time.Second)
				if _, err := s.Evaluate(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
