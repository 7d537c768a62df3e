package autoscale

import "time"

// series keeps a metric's recent readings to fit a linear trend.
type series struct {
	at []time.Time
	v  []float64
}

// add appends a reading and drops those older than window.
func (s *series) add(now time.Time, v float64, window time.Duration) {
	s.at = append(s.at, now)
	s.v = append(s.v, v)
	drop := 0
	for drop < len(s.at) && now.Sub(s.at[drop]) > window {
		drop++
	}
	if drop > 0 {
		s.at = append(s.at[:0], s.at[drop:]...)
		s.v = append(s.v[:0], s.v[drop:]...)
	}
}

// slope is the least-squares slope per second, and false while there are
// fewer than three readings or they span no time, or when the sums
// overflow (readings near the top of float64): a NaN projection would
// compare false with every threshold and hold a metric far above its up
// threshold.
func (s *series) slope() (float64, bool) {
	n := float64(len(s.v))
	if len(s.v) < 3 {
		return 0, false
	}
	t0 := s.at[0]
	var sx, sy, sxx, sxy float64
	for i, v := range s.v {
		x := s.at[i].Sub(t0).Seconds()
		sx += x
		sy += v
		sxx += x * x
		sxy += x * v
	}
	den := n*sxx - sx*sx
	if den <= 0 {
		return 0, false
	}
	slope := (n*sxy - sx*sy) / den
	return slope, finite(slope)
}

// peak is the highest reading kept.
func (s *series) peak() float64 {
	p := s.v[0]
	for _, v := range s.v[1:] {
		p = max(p, v)
	}
	return p
}
