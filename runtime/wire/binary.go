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
