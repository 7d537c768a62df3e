package main

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// loadMeter measures the node's request rate: requests are counted as they
// arrive, and every second the count is folded into an exponentially
// weighted moving average (half-life about 2 s).
type loadMeter struct {
	count atomic.Uint64
	mu    sync.Mutex
	rate  float64
	last  time.Time
}

func (l *loadMeter) add() { l.count.Add(1) }

// tick folds the requests counted since the previous tick into the rate.
func (l *loadMeter) tick(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := float64(l.count.Swap(0))
	if l.last.IsZero() {
		l.last = now
		return
	}
	dt := now.Sub(l.last).Seconds()
	l.last = now
	if dt <= 0 {
		return
	}
	alpha := 1 - math.Exp(-dt/3) // time constant 3 s
	l.rate += alpha * (n/dt - l.rate)
}

// value returns the current rate in requests per second.
func (l *loadMeter) value() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate
}
