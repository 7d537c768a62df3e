package autoscale_test

import (
	"context"
	"fmt"

	"github.com/dwsdk/distributed/runtime/autoscale"
)

// A production scaler reads metrics from a provider and acts through an
// executor; here both are in memory.
func Example() {
	metrics := autoscale.NewStaticMetrics(map[string]float64{
		autoscale.MetricCPU:        92, // percent
		autoscale.MetricMemory:     50, // percent
		autoscale.MetricQueueDepth: 120,
	})
	nodes := autoscale.NewRecorder(4)
	s, err := autoscale.New(autoscale.DefaultConfig(), metrics, nodes)
	if err != nil {
		panic(err)
	}
	d, err := s.Evaluate(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Reason)
	for _, r := range d.Readings {
		fmt.Printf("%s: %s\n", r.Name, r.Reason)
	}
	fmt.Println("nodes now:", nodes.Names())
	// Output:
	// scale up by 2: cpu above up threshold
	// cpu: 92 above up threshold 80
	// memory: 50 within [40, 85]
	// queue_depth_per_node: 30 within [10, 100]
	// nodes now: [node-0 node-1 node-2 node-3 node-4 node-5]
}
