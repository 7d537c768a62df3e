package autoscale

// InMemory is the simple in-memory scaler kept from the seed for tests: the
// same rules as the production scaler, metrics that tests set by name, and a
// Recorder in place of real infrastructure.
type InMemory struct {
	*Autoscaler
	// Metrics holds the values the scaler reads; Set them in tests.
	Metrics *StaticMetrics
	// Recorder holds the node list and every scale call.
	Recorder *Recorder
}

var _ Scaler = (*InMemory)(nil)

// NewInMemory returns an in-memory scaler with nodes initial nodes and every
// built-in and custom metric at 0 until set.
func NewInMemory(cfg Config, nodes int) (*InMemory, error) {
	m := NewStaticMetrics(map[string]float64{MetricCPU: 0, MetricMemory: 0, MetricQueueDepth: 0})
	for _, c := range cfg.Custom {
		m.Set(c.Name, 0)
	}
	r := NewRecorder(nodes)
	a, err := New(cfg, m, r)
	if err != nil {
		return nil, err
	}
	return &InMemory{Autoscaler: a, Metrics: m, Recorder: r}, nil
}
