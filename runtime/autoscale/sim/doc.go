// Package sim replays a request-rate trace through a model of a cluster to
// compare scaling policies: the production autoscale.Autoscaler, Kubernetes'
// Horizontal Pod Autoscaler algorithm (reimplemented from its
// documentation) and a static fleet sized for the peak.
//
// The model, one step per simulated second: each ready node serves up to
// Model.Capacity requests per second; requests beyond the ready capacity
// wait in a backlog carried to the next second; a node added by a policy
// becomes ready Model.Startup later (and costs node-time from the moment it
// is added); a removed node leaves at once, starting nodes first. A second
// violates the SLO when the backlog would take longer than Model.SLO to
// drain at the ready capacity (or there is load and no ready node); a
// minute with any violating second is an SLO-violation minute.
//
// Usage:
//
//	raw, _ := sim.LoadTraceFile("../shared/traces/nasa-http-1995-rps.txt.gz")
//	load := sim.Scale(raw, sim.Scaling{Factor: 500, Compress: 1, Smooth: 60})
//	results, _ := sim.Compare(load, sim.DefaultModel(), sim.DefaultPolicies(sim.DefaultModel()))
//	fmt.Print(sim.Table(results))
package sim
