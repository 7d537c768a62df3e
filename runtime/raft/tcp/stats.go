package tcp

import "sync/atomic"

// Stats are the transport's counters since it started, for export as
// metrics.
type Stats struct {
	// FramesSent and FramesReceived count messages written and read.
	FramesSent, FramesReceived uint64
	// Flushes counts writes to peers; FramesSent/Flushes is the batching.
	Flushes uint64
	// Dropped counts messages lost: peer queue full, or queued for a peer
	// whose connection failed.
	Dropped uint64
	// Refused counts messages not sent to, and connections refused from or
	// by, servers outside the configuration.
	Refused uint64
	// TooLarge counts messages refused by Send and frames announced by
	// peers beyond MaxFrameSize.
	TooLarge uint64
	// BadFrames counts connections closed for a malformed hello or frame,
	// including failed TLS handshakes.
	BadFrames uint64
	// Dials and DialFailures count outgoing connection attempts.
	Dials, DialFailures uint64
}

type counters struct {
	sent, received, flushes, dropped, refused, tooLarge, badFrames, dials, dialFailures atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (t *Transport) Stats() Stats {
	c := &t.stats
	return Stats{
		FramesSent: c.sent.Load(), FramesReceived: c.received.Load(), Flushes: c.flushes.Load(),
		Dropped: c.dropped.Load(), Refused: c.refused.Load(), TooLarge: c.tooLarge.Load(),
		BadFrames: c.badFrames.Load(), Dials: c.dials.Load(), DialFailures: c.dialFailures.Load(),
	}
}
