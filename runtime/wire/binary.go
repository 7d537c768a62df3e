package wire

import (
	"encoding/binary"
	"math"
	"math/bits"
	"time"
)

// Wire types of the binary format (the values protocol buffers uses).
const (
	TypeVarint  = 0 // uvarint; signed integers zigzag-encoded
	TypeFixed64 = 1 // 8 bytes little-endian (float64)
	TypeLen     = 2 // uvarint length, then that many bytes
	TypeFixed32 = 5 // 4 bytes little-endian (float32)
)

// MaxFieldNumber is the largest wire:"N" field number.
const MaxFieldNumber = 1<<29 - 1

// AppendUvarint appends v as an unsigned LEB128 varint.
func AppendUvarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	if v < 0x4000 {
		return append(b, byte(v)|0x80, byte(v>>7))
	}
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// Zigzag maps signed to unsigned integers so small magnitudes stay short.
func Zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// Unzigzag inverts Zigzag.
func Unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// AppendVarint appends v zigzag-encoded.
func AppendVarint(b []byte, v int64) []byte { return AppendUvarint(b, Zigzag(v)) }

// SizeUvarint is the encoded size of v.
func SizeUvarint(v uint64) int { return (bits.Len64(v|1)*9 + 64) / 64 }

// SizeVarint is the encoded size of v zigzag-encoded.
func SizeVarint(v int64) int { return SizeUvarint(Zigzag(v)) }

// AppendBool appends a bool as a one-byte varint.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendFixed32 appends the IEEE-754 bits of v, little-endian.
func AppendFixed32(b []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

// AppendFixed64 appends the IEEE-754 bits of v, little-endian.
func AppendFixed64(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

// AppendString appends a length-prefixed string.
func AppendString(b []byte, s string) []byte {
	return append(AppendUvarint(b, uint64(len(s))), s...)
}

// AppendBytes appends a length-prefixed byte slice.
func AppendBytes(b []byte, p []byte) []byte {
	return append(AppendUvarint(b, uint64(len(p))), p...)
}

// SizeString is the encoded size of a length-prefixed string.
func SizeString(s string) int { return SizeUvarint(uint64(len(s))) + len(s) }

// SizeBytes is the encoded size of a length-prefixed byte slice.
func SizeBytes(p []byte) int { return SizeUvarint(uint64(len(p))) + len(p) }

// AppendTime appends t length-prefixed in the form of time.Time.AppendBinary
// (seconds, nanoseconds and zone offset; the monotonic reading is dropped).
func AppendTime(b []byte, t time.Time) ([]byte, error) {
	n := timeSize(t)
	b = append(b, byte(n))
	out, err := t.AppendBinary(b)
	if err != nil {
		return b, EncodeError(err)
	}
	return out, nil
}

// SizeTime is the encoded size of AppendTime(t).
func SizeTime(t time.Time) int { return 1 + timeSize(t) }

// timeSize mirrors time.Time.AppendBinary: version 1 is 15 bytes, version 2
// (a zone offset with seconds) 16.
func timeSize(t time.Time) int {
	if t.Location() == time.UTC {
		return 15
	}
	_, off := t.Zone()
	if off%60 != 0 {
		return 16
	}
	return 15
}

// SizeLen is the encoded size of a length-prefixed value of n bytes.
func SizeLen(n int) int { return SizeUvarint(uint64(n)) + n }

var zeros [10]byte

// ReserveLen appends guess placeholder bytes for a length prefix and
// returns the buffer and the position of the placeholder. Encoders write a
// nested value after it and call FinishLen, so they need not compute the
// value's size first.
func ReserveLen(b []byte, guess int) ([]byte, int) {
	return append(b, zeros[:guess]...), len(b)
}

// FinishLen writes, at pos, the uvarint length of everything appended after
// the guess-byte placeholder ReserveLen left there, moving those bytes when
// the length needs more or fewer bytes than guessed. It returns the buffer
// and the prefix size used: a good guess for the next sibling.
func FinishLen(b []byte, pos, guess int) ([]byte, int) {
	n := len(b) - pos - guess
	need := SizeUvarint(uint64(n))
	switch {
	case need > guess:
		b = append(b, zeros[:need-guess]...)
		copy(b[pos+need:], b[pos+guess:pos+guess+n])
	case need < guess:
		copy(b[pos+need:], b[pos+guess:pos+guess+n])
		b = b[:pos+need+n]
	}
	v, i := uint64(n), pos
	for v >= 0x80 {
		b[i] = byte(v) | 0x80
		v >>= 7
		i++
	}
	b[i] = byte(v)
	return b, need
}
