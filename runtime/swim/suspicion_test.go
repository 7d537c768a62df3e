package swim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSuspicionTimeouts(t *testing.T) {
	for _, tc := range []struct {
		mult, maxMult, n int
		interval         time.Duration
		lo, hi           time.Duration
	}{
		{4, 6, 1, time.Second, 4 * time.Second, 24 * time.Second},   // log10 floored at 1
		{4, 6, 10, time.Second, 4 * time.Second, 24 * time.Second},  // log10(10) = 1
		{4, 6, 100, time.Second, 8 * time.Second, 48 * time.Second}, // log10(100) = 2
		{4, 6, 1000, time.Second, 12 * time.Second, 72 * time.Second},
		{3, 1, 1000, 200 * time.Millisecond, 1800 * time.Millisecond, 1800 * time.Millisecond},
		{4, 6, 0, time.Second, 4 * time.Second, 24 * time.Second},
	} {
		lo, hi := suspicionTimeouts(tc.mult, tc.maxMult, tc.n, tc.interval)
		require.Equal(t, tc.lo, lo, "%+v", tc)
		require.Equal(t, tc.hi, hi, "%+v", tc)
	}
}

func TestSuspicionTimeoutDecay(t *testing.T) {
	lo, hi := 2*time.Second, 30*time.Second
	for _, tc := range []struct {
		c, k int
		want time.Duration
	}{
		{0, 3, 30 * time.Second},        // no confirmation: the maximum
		{1, 3, 16 * time.Second},        // 30 - 28*log(2)/log(4) = 30 - 14
		{2, 3, 7810 * time.Millisecond}, // 30 - 28*log(3)/log(4)
		{3, 3, 2 * time.Second},         // k confirmations: the minimum
		{5, 3, 2 * time.Second},         // never below
		{0, 0, 30 * time.Second},        // nobody can confirm
	} {
		require.Equal(t, tc.want, suspicionTimeout(tc.c, tc.k, lo, hi), "c=%d k=%d", tc.c, tc.k)
	}
}

// fakeClock is a manual Clock for unit tests of timers.
type fakeClock struct {
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
	fired   bool
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	ft := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, ft)
	return ft
}
func (t *fakeTimer) Stop() bool {
	was := !t.stopped && !t.fired
	t.stopped = true
	return was
}

// advance moves time forward, firing due timers.
func (c *fakeClock) advance(d time.Duration) {
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if !t.stopped && !t.fired && !t.at.After(c.now) {
			t.fired = true
			t.f()
		}
	}
}

func TestSuspicionConfirmationsShortenTimer(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	fired := 0
	s := newSuspicion(clk, "a", 2, 4*time.Second, 24*time.Second, func() { fired++ })
	clk.advance(3 * time.Second)
	require.False(t, s.confirm("a"), "the accuser does not confirm itself")
	require.True(t, s.confirm("b"))
	require.False(t, s.confirm("b"), "a confirmation counts once")
	// One of two confirmations: 24 - 20*log(2)/log(3) = 11.38s after the start.
	clk.advance(8 * time.Second)
	require.Zero(t, fired)
	clk.advance(400 * time.Millisecond)
	require.Equal(t, 1, fired)
	s.confirm("c")
	clk.advance(time.Minute)
	require.Equal(t, 1, fired, "a confirmation after the timer fired does not fire it again")
}

func TestSuspicionConfirmedLateFiresAtOnce(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	fired := 0
	s := newSuspicion(clk, "a", 1, 4*time.Second, 24*time.Second, func() { fired++ })
	clk.advance(10 * time.Second)
	require.True(t, s.confirm("b")) // the minimum, 4s, already passed
	clk.advance(0)
	require.Equal(t, 1, fired)
}

func TestAwareness(t *testing.T) {
	a := awareness{max: 8}
	for _, tc := range []struct {
		delta, score int
		scaled       time.Duration
	}{
		{0, 0, time.Second},
		{3, 3, 4 * time.Second},
		{10, 7, 8 * time.Second}, // clamped at max-1
		{-1, 6, 7 * time.Second},
		{-20, 0, time.Second}, // clamped at 0
	} {
		require.Equal(t, tc.score, a.apply(tc.delta))
		require.Equal(t, tc.scaled, a.scale(time.Second))
	}
	off := awareness{max: 1}
	require.Zero(t, off.apply(5), "AwarenessMaxMultiplier 1 disables awareness")
	require.Equal(t, time.Second, off.scale(time.Second))
}

func TestRetransmitLimit(t *testing.T) {
	for _, tc := range []struct{ mult, n, want int }{
		{4, 0, 0}, {4, 1, 4}, {4, 9, 4}, {4, 10, 8}, {4, 99, 8}, {4, 100, 12}, {4, 1000, 16}, {4, 10000, 20}, {3, 31, 6},
	} {
		require.Equal(t, tc.want, retransmitLimit(tc.mult, tc.n), "mult=%d n=%d", tc.mult, tc.n)
	}
}

func TestPushPullScale(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, 30 * time.Second}, {32, 30 * time.Second}, {33, 60 * time.Second}, {64, 60 * time.Second}, {65, 90 * time.Second}, {1000, 180 * time.Second}} {
		require.Equal(t, tc.want, pushPullScale(30*time.Second, tc.n), "n=%d", tc.n)
	}
}
