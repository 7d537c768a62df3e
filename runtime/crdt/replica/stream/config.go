package stream

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dwsdk/distributed/runtime/internal/frame"
)

// Config configures a Transport. Zero tuning fields take DefaultConfig's
// values.
type Config struct {
	// ID is this node's name, as the replica engine and the peers know it;
	// sent in the hello of every connection it opens. Required.
	ID string
	// ListenAddr is the TCP address to listen on. Default "127.0.0.1:0".
	ListenAddr string
	// Resolve returns the stream address of the named peer; it is called
	// each time a connection to the peer is opened, from that peer's writer
	// goroutine. It must return promptly: Close waits for it. Required.
	Resolve func(peer string) (string, error)
	// MaxFrameSize bounds one encoded envelope, in bytes; it must hold the
	// largest full state. Default 64 MiB.
	MaxFrameSize int
	// SendQueue is the number of envelopes queued per peer; more are
	// dropped and counted. Default 256.
	SendQueue int
	// InboundQueue is the capacity of the Inbound channel. Default 4096.
	InboundQueue int
	// DialTimeout bounds connecting plus the hello. Default 2s.
	DialTimeout time.Duration
	// WriteTimeout bounds writing one frame, and each flush, to a peer; a
	// peer that stops reading is disconnected after it. Default 10s.
	WriteTimeout time.Duration
	// IdleTimeout is how long a peer's writer waits with nothing to send
	// before it closes its connection and stops; the next Send to the peer
	// starts a new one. It bounds what peers that left for good keep
	// alive (a goroutine, a queue, a connection). Default 1 minute.
	IdleTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// failed connection attempts to one peer. Default 20ms and 2s.
	ReconnectMin, ReconnectMax time.Duration
	// Logger receives connection events. Default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the default tuning; ID and Resolve must still be
// set.
func DefaultConfig() Config {
	return Config{
		ListenAddr:   "127.0.0.1:0",
		MaxFrameSize: 64 << 20,
		SendQueue:    256,
		InboundQueue: 4096,
		DialTimeout:  2 * time.Second,
		WriteTimeout: 10 * time.Second,
		IdleTimeout:  time.Minute,
		ReconnectMin: 20 * time.Millisecond,
		ReconnectMax: 2 * time.Second,
	}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.ListenAddr == "" {
		c.ListenAddr = d.ListenAddr
	}
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = d.MaxFrameSize
	}
	if c.SendQueue == 0 {
		c.SendQueue = d.SendQueue
	}
	if c.InboundQueue == 0 {
		c.InboundQueue = d.InboundQueue
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = d.ReconnectMin
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = max(d.ReconnectMax, c.ReconnectMin)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("ID is empty"))
	}
	if len(c.ID) > frame.MaxIDLen {
		errs = append(errs, fmt.Errorf("ID is %d bytes, at most %d", len(c.ID), frame.MaxIDLen))
	}
	if c.Resolve == nil {
		errs = append(errs, errors.New("Resolve is nil"))
	}
	if c.MaxFrameSize < 1024 {
		errs = append(errs, fmt.Errorf("MaxFrameSize %d is below 1024", c.MaxFrameSize))
	}
	if c.SendQueue < 1 || c.InboundQueue < 1 {
		errs = append(errs, fmt.Errorf("SendQueue %d and InboundQueue %d must be positive", c.SendQueue, c.InboundQueue))
	}
	if c.DialTimeout < 0 || c.WriteTimeout < 0 || c.IdleTimeout < 0 || c.ReconnectMin < 0 || c.ReconnectMax < c.ReconnectMin {
		errs = append(errs, errors.New("timeouts must be positive and ReconnectMax >= ReconnectMin"))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("stream: config: %w", err)
	}
	return c, nil
}
