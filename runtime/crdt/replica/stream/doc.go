// Package stream is a replica.Transport over TCP: the anti-entropy stream
// that carries what is too large for SWIM's piggybacked broadcasts (delta
// batches, full states) and the point-to-point protocol messages (acks,
// digests, pulls) between the replica engines of a cluster.
//
// Every node listens on its own TCP port and advertises it (dwnode puts it
// in its SWIM metadata); Config.Resolve turns a peer's name into that
// address when a connection is opened, so a peer that restarted on another
// port is found again. Each peer gets one persistent outbound connection,
// fed by a bounded queue and one writer goroutine that writes everything
// queued with one flush; connections are opened lazily and reopened with
// exponential backoff, and a writer with nothing to send for
// Config.IdleTimeout closes its connection and stops, so peers that left
// keep nothing alive here. A full queue drops the envelope and counts it: the
// engine's acknowledgements, resends and full-state fallback repair any
// loss, so the transport never blocks the engine.
//
// On the wire (runtime/internal/frame, as runtime/raft/tcp): a connection
// opens with the hello "DWREPL1\n" and the sender's node name, answered by
// one byte; then every frame is a u32 big-endian length and one
// replicawire.Envelope in its generated binary encoding. Frames above
// Config.MaxFrameSize are refused by Send and, announced by a peer, close
// that connection (only that one) with a logged error naming the peer; so
// do undecodable frames and envelopes claiming another sender.
//
// Usage:
//
//	t, err := stream.New(ctx, stream.Config{
//		ID:      "n1",
//		Resolve: func(peer string) (string, error) { return addrOf(peer) },
//	})
//	// advertise t.Addr(); hand t to replica.Config.Transport (or route
//	// large envelopes to it); t.Close() after the engine stopped.
package stream
