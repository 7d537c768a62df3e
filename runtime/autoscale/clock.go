package autoscale

import (
	"sync"
	"time"
)

// Clock tells the time and makes tickers; tests and the simulator inject a
// ManualClock.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks on C until stopped.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTicker returns a time.Ticker.
func (SystemClock) NewTicker(d time.Duration) Ticker { return systemTicker{time.NewTicker(d)} }

type systemTicker struct{ t *time.Ticker }

func (s systemTicker) C() <-chan time.Time { return s.t.C }
func (s systemTicker) Stop()               { s.t.Stop() }

// ManualClock is a Clock that moves only when told to. Its tickers fire
// (without blocking, dropping ticks like time.Ticker) when Advance crosses
// their next deadline. Safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*manualTicker
	added   chan struct{}
}

// NewManualClock returns a clock standing at start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, added: make(chan struct{}, 1)}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (which may be earlier, to test clock steps).
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d and fires due tickers.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.tickers {
		if t.stopped || c.now.Before(t.next) {
			continue
		}
		select {
		case t.c <- c.now:
		default:
		}
		for !c.now.Before(t.next) {
			t.next = t.next.Add(t.d)
		}
	}
}

// TickerCreated returns a channel that receives after each NewTicker call,
// so a test can wait for Run to be ready before advancing the clock.
func (c *ManualClock) TickerCreated() <-chan struct{} { return c.added }

// NewTicker returns a ticker driven by Advance.
func (c *ManualClock) NewTicker(d time.Duration) Ticker {
	c.mu.Lock()
	t := &manualTicker{clock: c, d: d, next: c.now.Add(d), c: make(chan time.Time, 1)}
	c.tickers = append(c.tickers, t)
	c.mu.Unlock()
	select {
	case c.added <- struct{}{}:
	default:
	}
	return t
}

type manualTicker struct {
	clock   *ManualClock
	d       time.Duration
	next    time.Time
	c       chan time.Time
	stopped bool
}

func (t *manualTicker) C() <-chan time.Time { return t.c }

func (t *manualTicker) Stop() {
	t.clock.mu.Lock()
	t.stopped = true
	t.clock.mu.Unlock()
}
