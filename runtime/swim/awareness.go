package swim

import "time"

// awareness is Lifeguard's local health score: 0 is healthy, max-1 the
// worst. Missed nacks, failed probes and having to refute a suspicion raise
// it; successful probes lower it. While it is high the node stretches its
// own probe interval and timeout, so a slow node stops accusing healthy ones.
// It is guarded by the Node's lock.
type awareness struct {
	max   int // AwarenessMaxMultiplier
	score int
}

// apply adds delta to the score, clamped to [0, max-1], and returns the new score.
func (a *awareness) apply(delta int) int {
	a.score += delta
	if a.score < 0 {
		a.score = 0
	}
	if a.score > a.max-1 {
		a.score = a.max - 1
	}
	return a.score
}

// scale stretches a timeout by the health score: d * (score+1).
func (a *awareness) scale(d time.Duration) time.Duration {
	return d * time.Duration(a.score+1)
}
