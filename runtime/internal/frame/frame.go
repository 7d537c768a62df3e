// Package frame is the stream framing shared by the runtime's TCP
// transports (runtime/raft/tcp and runtime/crdt/replica/stream): a hello
// naming the opener, then length-prefixed frames of generated binary
// messages; and the accept loop and set of open connections (Accept,
// ConnSet) that they and SWIM's stream transport share.
//
// Wire format. A connection starts with the opener's hello:
//
//	magic [8]byte | id length u16 | id
//
// which the transport answers with one byte, HelloAccepted or
// HelloRefused. Then frames follow, each a u32 big-endian length and that
// many bytes. Readers check the length against their maximum before
// allocating anything, so a hostile or corrupt peer costs at most one
// maximum-size buffer.
//
// Usage:
//
//	b = frame.AppendHello(b, "DWREPL1\n", id)
//	b, start := frame.Begin(b)
//	b, err = msg.AppendBinary(b)
//	b, err = frame.Finish(b, start, max)   // ErrTooLarge beyond max
//	payload, err := frame.Read(br, &buf, max)
package frame

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// HeaderLen is the size of a frame's length prefix.
	HeaderLen = 4
	// MaxIDLen bounds the id in a hello.
	MaxIDLen = 1024
	// MagicLen is the size of a hello's magic.
	MagicLen = 8

	// HelloAccepted and HelloRefused answer a hello.
	HelloAccepted byte = 0
	HelloRefused  byte = 1
)

var (
	// ErrTooLarge is matched by errors about frames beyond the maximum
	// size, announced by a peer or about to be sent.
	ErrTooLarge = errors.New("frame exceeds max frame size")
	// ErrMalformed is matched by errors about malformed hellos and frames.
	ErrMalformed = errors.New("malformed frame")
)

// AppendHello appends the hello naming id, with the transport's 8-byte
// magic.
func AppendHello(b []byte, magic, id string) []byte {
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	return append(b, id...)
}

// ReadHello reads an opener's hello and returns the id it names.
func ReadHello(r io.Reader, magic string) (string, error) {
	var h [MagicLen + 2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", fmt.Errorf("read hello: %w", err)
	}
	if string(h[:MagicLen]) != magic {
		return "", fmt.Errorf("%w: hello magic %q, want %q", ErrMalformed, h[:MagicLen], magic)
	}
	n := binary.BigEndian.Uint16(h[MagicLen:])
	if n == 0 || n > MaxIDLen {
		return "", fmt.Errorf("%w: hello id of %d bytes", ErrMalformed, n)
	}
	id := make([]byte, n)
	if _, err := io.ReadFull(r, id); err != nil {
		return "", fmt.Errorf("read hello id: %w", err)
	}
	return string(id), nil
}

// Begin reserves a frame header at the end of b; append the payload, then
// call Finish with the returned start.
func Begin(b []byte) ([]byte, int) {
	return append(b, 0, 0, 0, 0), len(b)
}

// Finish fills in the header of the frame begun at start, or removes the
// frame and returns an error wrapping ErrTooLarge when its payload exceeds
// max bytes.
func Finish(b []byte, start, max int) ([]byte, error) {
	n := len(b) - start - HeaderLen
	if n > max {
		return b[:start], fmt.Errorf("%w: message of %d bytes, max %d", ErrTooLarge, n, max)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}

// Read reads one frame into *buf (grown as needed and reused across calls:
// the payload is valid until the next call) and returns its payload. It
// allocates at most max bytes, and only after checking the length against
// max. A clean end of stream before a header is io.EOF.
func Read(r *bufio.Reader, buf *[]byte, max int) ([]byte, error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: peer announced a frame of %d bytes, max %d", ErrTooLarge, n, max)
	}
	if cap(*buf) < int(n) {
		*buf = make([]byte, n)
	}
	p := (*buf)[:n]
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, fmt.Errorf("read frame of %d bytes: %w", n, err)
	}
	return p, nil
}
