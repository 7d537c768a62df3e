package wire

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// jsonSafe[c] is true for ASCII bytes encoding/json writes unescaped with
// HTML escaping on: printable, and none of " \ < > &.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// AppendJSONString appends s as a JSON string exactly as encoding/json does:
// <, > and & escaped as \u003c \u003e \u0026, U+2028 and U+2029 escaped,
// control characters escaped, and each invalid UTF-8 byte replaced by \ufffd.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	// Fast path: a string of safe ASCII bytes, checked eight at a time, is
	// copied in one append.
	i := 0
	if len(s) >= 8 {
		p := unsafe.Slice(unsafe.StringData(s), len(s))
		for ; i+8 <= len(s); i += 8 {
			if !jsonSafe8(binary.LittleEndian.Uint64(p[i:])) {
				break
			}
		}
		// The last word may overlap words already checked.
		if i+8 > len(s) && jsonSafe8(binary.LittleEndian.Uint64(p[len(s)-8:])) {
			b = append(b, s...)
			return append(b, '"')
		}
	}
	for i < len(s) && s[i] < utf8.RuneSelf && jsonSafe[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	return appendJSONStringSlow(b, s, i)
}

// jsonSafe8 reports whether all eight bytes of w are safe (jsonSafe):
// none is 0x80 or above, below 0x20, or one of " & < > \. It is the
// "has a zero byte" bit trick, (v - 0x01..) & 0x80.. being non-zero when
// some byte of v is zero or 0x80 and above, applied to w minus 0x20 and
// to w xor each unsafe character; the bytes 0x80 and above, which the
// trick cannot tell apart, are unsafe anyway. A borrow from one byte into
// the next starts only at an unsafe byte, so the answer is exact.
func jsonSafe8(w uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	return (w|(w-0x20*lo)| // 0x80 and above, below 0x20
		(((w|0x04*lo)^0x26*lo)-lo)| // " (0x22) or & (0x26)
		(((w|0x02*lo)^0x3e*lo)-lo)| // < (0x3c) or > (0x3e)
		((w^0x5c*lo)-lo))&hi == 0 // backslash
}

func appendJSONStringSlow(b []byte, s string, i int) []byte {
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendJSONBytes appends p as encoding/json does: null for a nil slice,
// otherwise a standard base64 string with padding.
func AppendJSONBytes(b []byte, p []byte) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = appendBase64(b, p)
	return append(b, '"')
}

// AppendJSONFloat appends f formatted as encoding/json formats a float of
// the given bit size (32 or 64): shortest representation, 'f' format
// between 1e-6 and 1e21, otherwise 'e' with a two-digit minimum exponent
// trimmed. NaN and infinities are ErrUnsupportedValue.
func AppendJSONFloat(b []byte, f float64, bitSize int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, EncodeError(newDetail(ErrUnsupportedValue, "unsupported value: "+strconv.FormatFloat(f, 'g', -1, bitSize)))
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bitSize)
	if format == 'e' {
		// e-09 -> e-9, as encoding/json does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// AppendJSONTime appends t as a quoted RFC 3339 timestamp with nanoseconds,
// as time.Time.MarshalJSON does; a time RFC 3339 cannot represent (a year
// outside 0-9999, a zone hour outside 0-23) is ErrUnsupportedValue.
func AppendJSONTime(b []byte, t time.Time) ([]byte, error) {
	n := len(b)
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b[:n], EncodeError(newDetail(ErrUnsupportedValue, err.Error()))
	}
	return append(b, '"'), nil
}

// AppendJSONByteSlice appends a slice of a named uint8 type the way
// encoding/json does: as base64 like []byte, null when nil.
func AppendJSONByteSlice[T ~uint8](b []byte, p []T) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return AppendJSONBytes(b, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(p))), len(p)))
}

// ByteSliceAs reinterprets p, which the caller owns, as a slice of a named
// uint8 type without copying.
func ByteSliceAs[T ~uint8](p []byte) []T {
	if p == nil {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(p))), len(p))
}

// UintLen is the number of decimal digits of v.
func UintLen(v uint64) int {
	n := 1
	for v >= 10000 {
		v /= 10000
		n += 4
	}
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// IntLen is the length of v in decimal, with its sign.
func IntLen(v int64) int {
	if v < 0 {
		return 1 + UintLen(uint64(-v))
	}
	return UintLen(uint64(v))
}

// Base64Len is the length of p as a quoted base64 JSON string (or null).
func Base64Len(p []byte) int {
	if p == nil {
		return 4
	}
	return (len(p)+2)/3*4 + 2
}
