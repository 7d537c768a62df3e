package crdt

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock reading: the upper 48 bits are physical
// milliseconds since the Unix epoch, the lower 16 bits a logical counter that
// orders events within one millisecond. Timestamps compare as integers.
type Timestamp uint64

const logicalBits = 16

// MakeTimestamp builds a timestamp from physical milliseconds and a logical
// counter.
func MakeTimestamp(physicalMS uint64, logical uint16) Timestamp {
	return Timestamp(physicalMS<<logicalBits | uint64(logical))
}

// Physical returns the physical part in milliseconds since the Unix epoch.
func (t Timestamp) Physical() uint64 { return uint64(t) >> logicalBits }

// Logical returns the logical counter.
func (t Timestamp) Logical() uint16 { return uint16(t) }

// String formats the timestamp as physical.logical.
func (t Timestamp) String() string { return fmt.Sprintf("%d.%d", t.Physical(), t.Logical()) }

// ErrClockOffset is returned by Clock.Update when a remote timestamp is
// further ahead of the local physical clock than the configured maximum
// offset. The remote timestamp is not adopted.
var ErrClockOffset = errors.New("crdt: remote timestamp too far ahead")

// ClockConfig configures a hybrid logical clock.
type ClockConfig struct {
	// Physical returns the current wall-clock time. Tests inject a fake.
	Physical func() time.Time
	// MaxOffset is how far a remote timestamp may be ahead of the local
	// physical clock before Update refuses it.
	MaxOffset time.Duration
}

// DefaultClockConfig returns the wall clock and a 500 ms maximum offset.
func DefaultClockConfig() ClockConfig {
	return ClockConfig{Physical: time.Now, MaxOffset: 500 * time.Millisecond}
}

// Clock is a hybrid logical clock (Kulkarni et al. 2014): its readings never
// go backwards, stay close to physical time, and order causally related
// events. It is safe for concurrent use.
type Clock struct {
	cfg  ClockConfig
	mu   sync.Mutex
	last Timestamp
}

// NewClock returns a clock; zero fields of cfg take DefaultClockConfig values.
func NewClock(cfg ClockConfig) *Clock {
	d := DefaultClockConfig()
	if cfg.Physical == nil {
		cfg.Physical = d.Physical
	}
	if cfg.MaxOffset <= 0 {
		cfg.MaxOffset = d.MaxOffset
	}
	return &Clock{cfg: cfg}
}

func (c *Clock) physical() uint64 {
	ms := c.cfg.Physical().UnixMilli()
	if ms < 0 {
		return 0
	}
	return uint64(ms) & (1<<48 - 1)
}

// Now returns a timestamp greater than every timestamp this clock returned
// or adopted before.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = c.advance(MakeTimestamp(c.physical(), 0))
	return c.last
}

// advance returns max(last+1, floor).
func (c *Clock) advance(floor Timestamp) Timestamp {
	next := c.last + 1 // a logical overflow carries into the physical part
	if floor > next {
		next = floor
	}
	return next
}

// Update merges a timestamp received from another replica and returns a
// local timestamp greater than both. A remote timestamp more than MaxOffset
// ahead of the local physical clock is refused with ErrClockOffset and leaves
// the clock unchanged.
func (c *Clock) Update(remote Timestamp) (Timestamp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := c.physical()
	limit := pt + uint64(c.cfg.MaxOffset.Milliseconds())
	if remote.Physical() > limit {
		return c.last, fmt.Errorf("%w: remote %s, local physical %d ms, max offset %s",
			ErrClockOffset, remote, pt, c.cfg.MaxOffset)
	}
	floor := MakeTimestamp(pt, 0)
	if remote+1 > floor {
		floor = remote + 1
	}
	c.last = c.advance(floor)
	return c.last, nil
}

// Last returns the latest timestamp issued or adopted.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
