package sim

import (
	"fmt"
	"os"
	"testing"

	"github.com/dwsdk/distributed/runtime/autoscale"
)

func TestScratch2(t *testing.T) {
	if os.Getenv("SCRATCH2") == "" {
		t.Skip()
	}
	raw, _ := LoadTraceFile("/work/shared/traces/nasa-http-1995-rps.txt.gz")
	load := Scale(raw, Scaling{Factor: 500, Compress: 1, Smooth: 60})
	m := DefaultModel()
	for _, p := range []Policy{NewOurs("seed", autoscale.DefaultConfig()), DefaultHPA(50)} {
		r, _ := Replay(load, m, p, Options{SampleEvery: 1})
		byNodes := map[int]int{}
		total := map[int]int{}
		for _, s := range r.Series {
			b := s.Nodes
			if b > 10 {
				b = 10 + (b-10)/10*10
			}
			total[b]++
			if s.Backlog > 0 && (s.Capacity == 0 || s.Backlog/s.Capacity > 1) {
				byNodes[b]++
			}
		}
		fmt.Println(p.Name())
		for b := 0; b <= 100; b++ {
			if total[b] > 0 {
				fmt.Printf("  nodes %3d: %7d viol-s of %8d s\n", b, byNodes[b], total[b])
			}
		}
	}
}
