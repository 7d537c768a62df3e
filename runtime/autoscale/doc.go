// Package autoscale decides when a cluster should grow or shrink from CPU,
// memory, queue-depth and custom metrics, and acts through an Executor.
//
// A Scaler evaluates its metrics against thresholds every Config.Interval:
// any metric above its up threshold scales the cluster up by
// ceil(ScaleUpPercent % of the current nodes), at least ScaleUpMin; the
// cluster scales down by ScaleDownStep only when every metric is below its
// down threshold, and never when a metric cannot be read. A cooldown separates
// scale events, the node count stays within [MinNodes, MaxNodes], and failing
// health checks veto any change. Every evaluation returns a Decision (the
// generated autoscalewire.Decision) that says what was decided, the reading
// and vote of every metric, and what blocked or reduced the change.
//
// Metrics come from a MetricProvider. ContainerMetrics reads CPU and memory
// the way a container sees them (cgroup v2, then v1, then the process) and
// queue depth from a Gauge the application sets. Executors change the
// cluster: Recorder (in memory), Processes (local child processes started from
// a command template) and, in package k8s, a Deployment or StatefulSet scaled
// through the scale subresource.
//
// Usage:
//
//	queue := new(autoscale.Gauge)
//	metrics, _ := autoscale.NewContainerMetrics(autoscale.ContainerConfig{Queue: queue})
//	cfg := autoscale.DefaultConfig()
//	s, err := autoscale.New(cfg, metrics, executor)
//	if err != nil { ... }
//	go s.Run(ctx) // evaluates every cfg.Interval until ctx is done
//
// Package sim replays a load trace through a cluster model to compare this
// scaler with Kubernetes' HPA algorithm; cmd/autosim is its command line.
package autoscale
