package swim

import "sync/atomic"

// metrics are the Node's counters, updated atomically.
type metrics struct {
	packetsSent, packetsReceived atomic.Uint64
	bytesSent, bytesReceived     atomic.Uint64
	packetsCompressed            atomic.Uint64
	streamsSent, streamsReceived atomic.Uint64
	droppedAuth                  atomic.Uint64
	droppedLabel                 atomic.Uint64
	droppedMalformed             atomic.Uint64
	probes, probeFailures        atomic.Uint64
	probesRefused                atomic.Uint64
	suspicionsRaised             atomic.Uint64
	refutations                  atomic.Uint64
	deathsDeclared               atomic.Uint64
}

// Metrics is a snapshot of a Node's counters, for export (the reference
// node publishes them to Prometheus).
type Metrics struct {
	PacketsSent, PacketsReceived uint64
	BytesSent, BytesReceived     uint64 // packets only, security layer included
	// PacketsCompressed counts the packets sent deflated (see
	// Config.DisableCompression).
	PacketsCompressed            uint64
	StreamsSent, StreamsReceived uint64
	// DroppedAuth counts packets that failed to authenticate (unknown key,
	// wrong label under encryption, or plain while encrypting).
	DroppedAuth uint64
	// DroppedLabel counts plain packets with another cluster label.
	DroppedLabel uint64
	// DroppedMalformed counts packets that did not decode.
	DroppedMalformed uint64
	Probes           uint64
	ProbeFailures    uint64 // probes after which the target was suspected
	// ProbesRefused counts failed probes cut short because the target's
	// address refused the TCP ping (its process is gone).
	ProbesRefused    uint64
	SuspicionsRaised uint64 // members this node suspected itself
	Refutations      uint64 // suspicions or deaths of this node it refuted
	DeathsDeclared   uint64 // members this node declared dead itself
	HealthScore      int    // Lifeguard local health score, 0 is best
}

func (m *metrics) snapshot() Metrics {
	return Metrics{
		PacketsSent: m.packetsSent.Load(), PacketsReceived: m.packetsReceived.Load(),
		BytesSent: m.bytesSent.Load(), BytesReceived: m.bytesReceived.Load(),
		PacketsCompressed: m.packetsCompressed.Load(),
		StreamsSent:       m.streamsSent.Load(), StreamsReceived: m.streamsReceived.Load(),
		DroppedAuth: m.droppedAuth.Load(), DroppedLabel: m.droppedLabel.Load(),
		DroppedMalformed: m.droppedMalformed.Load(),
		Probes:           m.probes.Load(), ProbeFailures: m.probeFailures.Load(),
		ProbesRefused:    m.probesRefused.Load(),
		SuspicionsRaised: m.suspicionsRaised.Load(), Refutations: m.refutations.Load(),
		DeathsDeclared: m.deathsDeclared.Load(),
	}
}
