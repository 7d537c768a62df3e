package stream

import "sync/atomic"

// Stats are the transport's counters since it started.
type Stats struct {
	// FramesSent and FramesReceived count envelopes written and read.
	FramesSent, FramesReceived uint64
	// Flushes counts writes to peers; FramesSent/Flushes is the batching.
	Flushes uint64
	// Dropped counts envelopes lost: peer queue full, or queued for a peer
	// that could not be reached.
	Dropped uint64
	// TooLarge counts envelopes refused by Send and frames announced by
	// peers beyond MaxFrameSize.
	TooLarge uint64
	// BadFrames counts connections closed for a malformed hello or frame.
	BadFrames uint64
	// Dials and DialFailures count outgoing connection attempts.
	Dials, DialFailures uint64
}

type counters struct {
	sent, received, flushes, dropped, tooLarge, badFrames, dials, dialFailures atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (t *Transport) Stats() Stats {
	c := &t.stats
	return Stats{
		FramesSent: c.sent.Load(), FramesReceived: c.received.Load(), Flushes: c.flushes.Load(),
		Dropped: c.dropped.Load(), TooLarge: c.tooLarge.Load(), BadFrames: c.badFrames.Load(),
		Dials: c.dials.Load(), DialFailures: c.dialFailures.Load(),
	}
}
