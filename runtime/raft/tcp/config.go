package tcp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config configures a Transport. Start from DefaultConfig and set ID.
type Config struct {
	// ID is this server's ID, sent in the handshake of every connection it
	// opens so that the receiver can refuse servers outside its
	// configuration. Required.
	ID string
	// ListenAddr is the TCP address to listen on, e.g. "127.0.0.1:0".
	ListenAddr string
	// TLS, when set, wraps every connection in TLS with this
	// configuration, as server (incoming) and client (outgoing). For mutual
	// TLS give it Certificates, RootCAs, ClientCAs and
	// ClientAuth: tls.RequireAndVerifyClientCert.
	TLS *tls.Config
	// MaxFrameSize bounds an encoded message, in bytes. A larger message is
	// refused by Send (ErrFrameTooLarge); a peer announcing a larger frame
	// is disconnected. It must leave room for the largest snapshot chunk.
	MaxFrameSize int
	// SendQueue is the number of messages queued per peer; Send fails with
	// ErrQueueFull beyond it.
	SendQueue int
	// InboundQueue is the capacity of the Inbound channel.
	InboundQueue int
	// DialTimeout bounds connecting plus the handshake.
	DialTimeout time.Duration
	// WriteTimeout bounds one flush of queued frames to a peer; a peer that
	// stops reading is disconnected after it.
	WriteTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// failed connection attempts to one peer.
	ReconnectMin, ReconnectMax time.Duration
	// Logger receives connection events. Nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig listens on 127.0.0.1:0 with 16 MiB frames, 1024-message
// peer queues, 2 s dial and 10 s write timeouts and a 20 ms..2 s backoff.
func DefaultConfig() Config {
	return Config{
		ListenAddr:   "127.0.0.1:0",
		MaxFrameSize: 16 << 20,
		SendQueue:    1024,
		InboundQueue: 4096,
		DialTimeout:  2 * time.Second,
		WriteTimeout: 10 * time.Second,
		ReconnectMin: 20 * time.Millisecond,
		ReconnectMax: 2 * time.Second,
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("ID is empty"))
	}
	if len(c.ID) > maxIDLen {
		errs = append(errs, fmt.Errorf("ID is %d bytes, at most %d", len(c.ID), maxIDLen))
	}
	if c.MaxFrameSize < 1024 {
		errs = append(errs, fmt.Errorf("MaxFrameSize %d is below 1024", c.MaxFrameSize))
	}
	if c.SendQueue < 1 || c.InboundQueue < 1 {
		errs = append(errs, fmt.Errorf("SendQueue %d and InboundQueue %d must be positive", c.SendQueue, c.InboundQueue))
	}
	if c.DialTimeout <= 0 || c.WriteTimeout <= 0 || c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin {
		errs = append(errs, errors.New("timeouts must be positive and ReconnectMax >= ReconnectMin"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tcp: config: %w", err)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
