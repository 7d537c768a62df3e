package main

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dwsdk/distributed/runtime/swim"
)

// metrics is the node's Prometheus registry.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	members  *prometheus.GaugeVec
	scale    *prometheus.CounterVec
}

func newMetrics(n *Node) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dwnode_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dwnode_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}, []string{"route"}),
		members: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dwnode_swim_members", Help: "SWIM members by state, as this node sees them.",
		}, []string{"state"}),
		scale: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dwnode_autoscale_decisions_total", Help: "Auto-scaler decisions taken on this node by action.",
		}, []string{"action"}),
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.members, m.scale,
		gauge("dwnode_load_requests_per_second", "Recent request rate (the auto-scaler's queue-depth input).", n.load.value),
		gauge("dwnode_raft_term", "Current Raft term.", func() float64 { return float64(n.kv.status().Term) }),
		gauge("dwnode_raft_commit_index", "Raft commit index.", func() float64 { return float64(n.kv.status().CommitIndex) }),
		gauge("dwnode_raft_applied_index", "Raft applied index.", func() float64 { return float64(n.kv.status().AppliedIndex) }),
		gauge("dwnode_raft_leader", "1 while this node is the Raft leader.", func() float64 {
			if n.kv.isLeader() {
				return 1
			}
			return 0
		}),
		gauge("dwnode_crdt_records", "CRDT records held.", func() float64 { return float64(n.records.len()) }),
		gauge("dwnode_replica_buffered_deltas", "Deltas buffered until every peer acknowledges them.", func() float64 {
			return float64(n.engine.Stats().Buffered)
		}),
		counter("dwnode_replica_deltas_sent_total", "CRDT deltas sent.", func() float64 { return float64(n.engine.Stats().DeltasSent) }),
		counter("dwnode_replica_deltas_applied_total", "Remote CRDT deltas applied.", func() float64 { return float64(n.engine.Stats().DeltasApplied) }),
		counter("dwnode_replica_states_sent_total", "Full CRDT states sent (fallback or repair).", func() float64 { return float64(n.engine.Stats().StatesSent) }),
		counter("dwnode_replica_digest_matches_total", "Digest exchanges that found equal states.", func() float64 { return float64(n.engine.Stats().DigestMatches) }),
		counter("dwnode_crdt_log_appends_total", "Local CRDT deltas appended to the durable log.", func() float64 { return float64(n.store.Stats().Appends) }),
		counter("dwnode_crdt_log_syncs_total", "fdatasync calls of the CRDT log (shared by concurrent writers).", func() float64 { return float64(n.store.Stats().Syncs) }),
		counter("dwnode_crdt_log_compactions_total", "CRDT snapshots written.", func() float64 { return float64(n.store.Stats().Compactions) }),
		counter("dwnode_replica_stream_sent_total", "Replication messages handed to the TCP anti-entropy stream.", func() float64 { return float64(n.link.streamed.Load()) }),
		counter("dwnode_replica_stream_received_total", "Replication messages received on the TCP anti-entropy stream.", func() float64 { return float64(n.stream.Stats().FramesReceived) }),
		counter("dwnode_replica_stream_dropped_total", "Replication messages the stream dropped (full queue, unreachable peer, too large).", func() float64 {
			s := n.stream.Stats()
			return float64(s.Dropped + s.TooLarge)
		}),
		counter("dwnode_replica_messages_dropped_total", "Replication messages dropped on a full queue.", func() float64 { return float64(n.link.dropped.Load()) }),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) setMembers(ms []memberInfo) {
	counts := map[swim.State]int{}
	for _, mi := range ms {
		counts[mi.State]++
	}
	for _, s := range []swim.State{swim.StateAlive, swim.StateSuspect, swim.StateDead, swim.StateLeft} {
		m.members.WithLabelValues(s.String()).Set(float64(counts[s]))
	}
}
