// Command autosim replays a request-rate trace (by default the NASA
// Kennedy Space Center web server, July and August 1995) through a cluster
// model and compares the production auto-scaler with Kubernetes' HPA
// algorithm and a static peak-sized fleet. It prints a Markdown table and
// can write an SVG plot of load, capacity and nodes over time.
//
//	go run ./cmd/autosim -trace ../shared/traces/nasa-http-1995-rps.txt.gz -svg out.svg
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/dwsdk/distributed/runtime/autoscale/sim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "autosim:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("autosim", flag.ContinueOnError)
	def := sim.DefaultModel()
	trace := fs.String("trace", "../shared/traces/nasa-http-1995-rps.txt.gz", "trace: one request count per second per line (.gz is gunzipped)")
	factor := fs.Float64("scale", 500, "multiply every rate by this factor")
	compress := fs.Int("compress", 1, "play this many trace seconds per simulated second")
	smooth := fs.Int("smooth", 60, "trailing mean window of the scaled rate, in simulated seconds")
	capacity := fs.Float64("capacity", def.Capacity, "requests per second one node serves")
	startup := fs.Duration("startup", def.Startup, "node start-up delay")
	slo := fs.Duration("slo", def.SLO, "longest acceptable queueing delay")
	hpaTarget := fs.Float64("hpa-target", 50, "HPA target CPU utilisation, percent")
	svg := fs.String("svg", "", "write the plot here (.svg; .png and .pdf also work)")
	plotFrom := fs.Duration("plot-from", 12*24*time.Hour, "plot window start (simulated time)")
	plotLen := fs.Duration("plot-length", 2*24*time.Hour, "plot window length (simulated time)")
	sampleEvery := fs.Int64("plot-every", 120, "plot one sample per this many simulated seconds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case !(*factor > 0) || math.IsInf(*factor, 0):
		return fmt.Errorf("-scale %v: want a positive finite factor", *factor)
	case *compress < 1:
		return fmt.Errorf("-compress %d: want at least 1", *compress)
	case *smooth < 0:
		return fmt.Errorf("-smooth %d: want 0 or more seconds", *smooth)
	case !(*hpaTarget > 0) || math.IsInf(*hpaTarget, 0):
		return fmt.Errorf("-hpa-target %v: want a positive finite percentage", *hpaTarget)
	case *sampleEvery < 1:
		return fmt.Errorf("-plot-every %d: want at least 1 second", *sampleEvery)
	}
	raw, err := sim.LoadTraceFile(*trace)
	if err != nil {
		return err
	}
	scaling := sim.Scaling{Factor: *factor, Compress: *compress, Smooth: *smooth}
	load := sim.Scale(raw, scaling)
	m := def
	m.Capacity, m.Startup, m.SLO = *capacity, *startup, *slo
	if err := m.Validate(); err != nil {
		return err
	}
	if *svg != "" && *plotFrom >= time.Duration(len(load))*time.Second {
		return fmt.Errorf("plot: no samples between %v and %v: the replay lasts %v", *plotFrom, *plotFrom+*plotLen, time.Duration(len(load))*time.Second)
	}
	policies := append(sim.DefaultPolicies(m, *hpaTarget), sim.StaticPeak(load, m))
	opt := sim.Options{}
	if *svg != "" {
		opt.SampleEvery = *sampleEvery
	}
	results, err := sim.Compare(load, m, policies, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "trace %s: %d s, %s; model: %g req/s per node, %v start-up, %v SLO\n\n",
		*trace, len(raw), scaling, m.Capacity, m.Startup, m.SLO)
	fmt.Fprint(out, sim.Table(results))
	if *svg != "" {
		if err := plotSVG(*svg, results, *plotFrom, *plotLen); err != nil {
			return err
		}
	}
	return nil
}
