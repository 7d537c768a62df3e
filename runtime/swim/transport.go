package swim

import (
	"errors"
	"time"
)

// ErrRefused is wrapped by a Request error when the address actively
// refused the stream: the host answered, but nothing listens there, so the
// member's process is gone (a crash, a kill) even if its host is fine. A
// probe whose fallback stream is refused fails at once instead of at the
// end of the probe interval. Transports that cannot tell return other
// errors.
var ErrRefused = errors.New("swim: connection refused")

// Transport moves a Node's packets (best effort, unordered, up to the MTU)
// and streams (reliable request/response exchanges, used for push-pull, the
// fallback probe and large direct messages). The UDP/TCP transport and the
// simulated network implement it.
type Transport interface {
	// Start begins delivering incoming traffic to h. It is called once,
	// before any other method.
	Start(h Handler) error
	// LocalAddr is the address other members reach this one at.
	LocalAddr() string
	// SendPacket sends one datagram, best effort. It must not block for long
	// and must not call back into the Handler.
	SendPacket(addr string, b []byte) error
	// Request sends req over a stream to addr and calls done exactly once,
	// later and from another call stack, with the reply or an error
	// (wrapping ErrRefused when the address refused the connection).
	Request(addr string, req []byte, timeout time.Duration, done func(reply []byte, err error))
	// Close stops the transport and waits for its goroutines; no Handler
	// call starts after it returns.
	Close() error
}

// Handler receives a Transport's incoming traffic. Calls may be concurrent.
type Handler interface {
	// HandlePacket handles one datagram from addr; b is owned by the callee.
	HandlePacket(from string, b []byte)
	// HandleRequest answers one stream request.
	HandleRequest(from string, req []byte) ([]byte, error)
}
