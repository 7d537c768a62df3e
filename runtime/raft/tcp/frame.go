package tcp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// Wire format. A connection starts with the opener's hello:
//
//	magic "DWRAFT1\n" | id length u16 | id
//
// answered by one byte, helloAccepted or helloRefused. Then the opener
// sends frames, each a u32 big-endian length followed by that many bytes of
// one binary-encoded raftwire.Message. Connections are one-way: responses
// travel on the responder's own connection.
const (
	helloMagic     = "DWRAFT1\n"
	maxIDLen       = 1024
	frameHeaderLen = 4

	helloAccepted byte = 0
	helloRefused  byte = 1
)

// Errors reported by the transport.
var (
	// ErrFrameTooLarge is returned by Send for a message whose encoding
	// exceeds MaxFrameSize, and logged when a peer announces such a frame.
	ErrFrameTooLarge = errors.New("tcp: frame exceeds max frame size")
	// ErrQueueFull is returned by Send when the peer's send queue is full;
	// the message is dropped (Raft retransmits).
	ErrQueueFull = errors.New("tcp: send queue full")
	// ErrBadFrame is matched by errors about malformed frames or hellos.
	ErrBadFrame = errors.New("tcp: malformed frame")
)

func appendHello(b []byte, id string) []byte {
	b = append(b, helloMagic...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	return append(b, id...)
}

// readHello reads an opener's hello and returns the server ID it names.
func readHello(r io.Reader) (string, error) {
	var h [len(helloMagic) + 2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", fmt.Errorf("tcp: read hello: %w", err)
	}
	if string(h[:len(helloMagic)]) != helloMagic {
		return "", fmt.Errorf("%w: hello magic %q, want %q", ErrBadFrame, h[:len(helloMagic)], helloMagic)
	}
	n := binary.BigEndian.Uint16(h[len(helloMagic):])
	if n == 0 || n > maxIDLen {
		return "", fmt.Errorf("%w: hello server ID of %d bytes", ErrBadFrame, n)
	}
	id := make([]byte, n)
	if _, err := io.ReadFull(r, id); err != nil {
		return "", fmt.Errorf("tcp: read hello ID: %w", err)
	}
	return string(id), nil
}

// appendFrame appends m as one frame, refusing it beyond max bytes.
func appendFrame(b []byte, m *raftwire.Message, max int) ([]byte, error) {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b, err := m.AppendBinary(b)
	if err != nil {
		return b[:start], fmt.Errorf("tcp: encode message: %w", err)
	}
	n := len(b) - start - frameHeaderLen
	if n > max {
		return b[:start], fmt.Errorf("%w: message of %d bytes, max %d", ErrFrameTooLarge, n, max)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}

// readFrame reads one frame into *buf (grown as needed, reused across
// calls: the decoder copies what it keeps) and decodes its message. It
// allocates at most max bytes, and only after the length has been checked
// against max.
func readFrame(r *bufio.Reader, buf *[]byte, max int) (*raftwire.Message, error) {
	var h [frameHeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: peer announced a frame of %d bytes, max %d", ErrFrameTooLarge, n, max)
	}
	if cap(*buf) < int(n) {
		*buf = make([]byte, n)
	}
	p := (*buf)[:n]
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, fmt.Errorf("tcp: read frame of %d bytes: %w", n, err)
	}
	m := new(raftwire.Message)
	if err := m.UnmarshalBinary(p); err != nil {
		return nil, fmt.Errorf("%w: decode message: %w", ErrBadFrame, err)
	}
	return m, nil
}
