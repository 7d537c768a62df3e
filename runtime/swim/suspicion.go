package swim

import (
	"math"
	"time"
)

// suspicionTimeouts returns the minimum and maximum time a member stays
// suspect before it is declared dead in a cluster of n members:
// min = mult * log10(max(1, n)) * interval, max = maxMult * min.
func suspicionTimeouts(mult, maxMult, n int, interval time.Duration) (lo, hi time.Duration) {
	nodeScale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	lo = time.Duration(float64(mult) * nodeScale * float64(interval))
	return lo, time.Duration(maxMult) * lo
}

// suspicionTimeout is Lifeguard's confirmation-shortened timeout: it starts
// at hi and decays logarithmically towards lo as independent confirmations
// c arrive, reaching lo at the k-th:
// hi - (hi-lo) * log(c+1)/log(k+1), never below lo.
func suspicionTimeout(c, k int, lo, hi time.Duration) time.Duration {
	if k < 1 || c >= k {
		if k < 1 {
			return hi
		}
		return lo
	}
	frac := math.Log(float64(c)+1) / math.Log(float64(k)+1)
	d := time.Duration(float64(hi) - frac*float64(hi-lo))
	if d < lo {
		d = lo
	}
	return d.Truncate(time.Millisecond)
}

// suspicion is the timer of one suspect member. Confirmations from members
// other than the first accuser shorten it. Guarded by the Node's lock.
type suspicion struct {
	k         int // confirmations expected
	lo, hi    time.Duration
	start     time.Time
	confirmed map[string]struct{}
	timer     Timer
	clock     Clock // the Node's, with callbacks taking its lock
	fire      func()
}

func newSuspicion(clock Clock, from string, k int, lo, hi time.Duration, fire func()) *suspicion {
	s := &suspicion{k: k, lo: lo, hi: hi, start: clock.Now(), confirmed: map[string]struct{}{from: {}}, clock: clock, fire: fire}
	d := hi
	if k < 1 {
		d = lo // nobody can confirm: do not wait longer than the minimum
	}
	s.timer = clock.AfterFunc(d, fire)
	return s
}

// confirm registers an independent accusation and reports whether it was
// new (so that it is worth re-gossiping). The timer is moved earlier.
func (s *suspicion) confirm(from string) bool {
	if len(s.confirmed)-1 >= s.k {
		return false
	}
	if _, ok := s.confirmed[from]; ok {
		return false
	}
	s.confirmed[from] = struct{}{}
	d := suspicionTimeout(len(s.confirmed)-1, s.k, s.lo, s.hi)
	if s.timer.Stop() {
		remaining := d - s.clock.Now().Sub(s.start)
		if remaining < 0 {
			remaining = 0
		}
		s.timer = s.clock.AfterFunc(remaining, s.fire)
	}
	return true
}

func (s *suspicion) stop() { s.timer.Stop() }
