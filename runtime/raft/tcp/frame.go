package tcp

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/internal/frame"
)

// Wire format (runtime/internal/frame): a connection starts with the
// opener's hello, magic "DWRAFT1\n" and its server ID, answered by one byte,
// helloAccepted or helloRefused. Then the opener sends frames, each a u32
// big-endian length followed by that many bytes of one binary-encoded
// raftwire.Message. Connections are one-way: responses travel on the
// responder's own connection.
const (
	helloMagic = "DWRAFT1\n"
	maxIDLen   = frame.MaxIDLen

	helloAccepted = frame.HelloAccepted
	helloRefused  = frame.HelloRefused
)

// Errors reported by the transport.
var (
	// ErrFrameTooLarge is returned by Send for a message whose encoding
	// exceeds MaxFrameSize, and logged when a peer announces such a frame.
	ErrFrameTooLarge = frame.ErrTooLarge
	// ErrQueueFull is returned by Send when the peer's send queue is full;
	// the message is dropped (Raft retransmits).
	ErrQueueFull = errors.New("tcp: send queue full")
	// ErrBadFrame is matched by errors about malformed frames or hellos.
	ErrBadFrame = frame.ErrMalformed
)

func appendHello(b []byte, id string) []byte { return frame.AppendHello(b, helloMagic, id) }

// readHello reads an opener's hello and returns the server ID it names.
func readHello(r io.Reader) (string, error) {
	id, err := frame.ReadHello(r, helloMagic)
	if err != nil {
		return "", fmt.Errorf("tcp: %w", err)
	}
	return id, nil
}

// appendFrame appends m as one frame, refusing it beyond max bytes.
func appendFrame(b []byte, m *raftwire.Message, max int) ([]byte, error) {
	b, start := frame.Begin(b)
	b, err := m.AppendBinary(b)
	if err != nil {
		return b[:start], fmt.Errorf("tcp: encode message: %w", err)
	}
	return frame.Finish(b, start, max)
}

// readFrame reads one frame into *buf (reused across calls: the decoder
// copies what it keeps) and decodes its message. It allocates at most max
// bytes, and only after the length has been checked against max.
func readFrame(r *bufio.Reader, buf *[]byte, max int) (*raftwire.Message, error) {
	p, err := frame.Read(r, buf, max)
	if err != nil {
		return nil, err
	}
	m := new(raftwire.Message)
	if err := m.UnmarshalBinary(p); err != nil {
		return nil, fmt.Errorf("%w: decode message: %w", ErrBadFrame, err)
	}
	return m, nil
}
