package sim_test

import (
	"fmt"

	"github.com/dwsdk/distributed/runtime/autoscale/sim"
)

// Replay a synthetic load (an hour at 100 req/s, an hour's ramp to 1,500,
// an hour there, then 100 again) through the default model. On a steady
// ramp the seed's policy scales up again before the nodes it added are
// ready, and overshoots; the predictive option counts them.
func Example() {
	var raw []float64
	for s := range 4 * 3600 {
		switch {
		case s < 3600:
			raw = append(raw, 100)
		case s < 2*3600:
			raw = append(raw, 100+1400*float64(s-3600)/3600)
		case s < 3*3600:
			raw = append(raw, 1500)
		default:
			raw = append(raw, 100)
		}
	}
	load := sim.Scale(raw, sim.Scaling{Factor: 1, Compress: 1, Smooth: 60})
	m := sim.DefaultModel()
	results, err := sim.Compare(load, m, append(sim.DefaultPolicies(m, 50), sim.StaticPeak(load, m)), sim.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Print(sim.Table(results))
	// Output:
	// | policy | SLO-violation minutes | node-hours | scaling actions | flaps | peak nodes | utilisation |
	// | --- | ---: | ---: | ---: | ---: | ---: | ---: |
	// | ours (seed defaults) | 0 | 73 | 46 | 0 | 41 | 35 % |
	// | ours (predictive) | 0 | 49 | 11 | 0 | 27 | 52 % |
	// | hpa (cpu target 50 %) | 0 | 56 | 22 | 0 | 33 | 45 % |
	// | static-peak | 0 | 60 | 0 | 0 | 15 | 42 % |
}
