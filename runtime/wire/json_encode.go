package wire

import (
	"encoding/binary"
	"math"
	"slices"
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
	n := len(s)
	// Names and addresses, the strings most messages carry, are short. With
	// AVX-512, a string of up to 16 bytes, when b has room, is checked and
	// copied by one call (a masked load, two nibble-table lookups, a masked
	// store); one that needs escaping goes on from its first unsafe byte.
	if n <= 16 && useStringShortAVX512 && cap(b)-len(b) >= n+2 {
		l := len(b)
		b = b[:l+n+2]
		b[l] = '"'
		if i := jsonSafeCopyShortAVX512(b[l+1:], s); i < n {
			return appendJSONStringSlow(b[:l+1+i], s, i, i)
		}
		b[l+n+1] = '"'
		return b
	}
	// Without AVX-512, a string of 4 to 16 safe ASCII bytes, when b has
	// room, is read as two overlapping words, checked in one step and
	// written back as the same two words between the quotes, without a
	// call to copy.
	if n >= 4 && n <= 16 && cap(b)-len(b) >= n+2 {
		p := unsafe.Slice(unsafe.StringData(s), n)
		l := len(b)
		if n >= 8 {
			w1, w2 := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[n-8:])
			if jsonUnsafe8(w1)|jsonUnsafe8(w2) == 0 {
				b = b[:l+n+2]
				b[l] = '"'
				binary.LittleEndian.PutUint64(b[l+1:], w1)
				binary.LittleEndian.PutUint64(b[l+n-7:], w2)
				b[l+n+1] = '"'
				return b
			}
		} else {
			w1, w2 := binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[n-4:])
			if jsonUnsafe8(uint64(w1)|uint64(w2)<<32) == 0 {
				b = b[:l+n+2]
				b[l] = '"'
				binary.LittleEndian.PutUint32(b[l+1:], w1)
				binary.LittleEndian.PutUint32(b[l+n-3:], w2)
				b[l+n+1] = '"'
				return b
			}
		}
	}
	if n > 16 && useStringAVX512 {
		// One call checks and copies 64 bytes per step; a string that
		// needs escaping goes on from its first unsafe byte.
		l := len(b)
		b = slices.Grow(b, n+2)[:l+1+n]
		b[l] = '"'
		i := jsonSafeCopyAVX512(b[l+1:], s)
		if i == n {
			return append(b, '"')
		}
		return appendJSONStringSlow(b[:l+1+i], s, i, i)
	}
	b = append(b, '"')
	// A string of safe ASCII bytes, checked eight at a time, is copied in
	// one append.
	i := 0
	if n >= 8 {
		p := unsafe.Slice(unsafe.StringData(s), n)
		for ; i+8 <= n; i += 8 {
			if jsonUnsafe8(binary.LittleEndian.Uint64(p[i:])) != 0 {
				break
			}
		}
		// The last word may overlap words already checked.
		if i+8 > n && jsonUnsafe8(binary.LittleEndian.Uint64(p[n-8:])) == 0 {
			b = append(b, s...)
			return append(b, '"')
		}
	}
	for i < n && s[i] < utf8.RuneSelf && jsonSafe[s[i]] {
		i++
	}
	if i == n {
		b = append(b, s...)
		return append(b, '"')
	}
	return appendJSONStringSlow(b, s, 0, i)
}

// jsonUnsafe8 is non-zero when one of the eight bytes of w is unsafe (not
// jsonSafe): 0x80 or above, below 0x20, or one of " & < > \. It is the
// "has a zero byte" bit trick, (v - 0x01..) & 0x80.. being non-zero when
// some byte of v is zero or 0x80 and above, applied to w minus 0x20 and
// to w xor each unsafe character; the bytes 0x80 and above, which the
// trick cannot tell apart, are unsafe anyway. A borrow from one byte into
// the next starts only at an unsafe byte, so the answer is exact.
func jsonUnsafe8(w uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	return (w | (w - 0x20*lo) | // 0x80 and above, below 0x20
		(((w | 0x04*lo) ^ 0x26*lo) - lo) | // " (0x22) or & (0x26)
		(((w | 0x02*lo) ^ 0x3e*lo) - lo) | // < (0x3c) or > (0x3e)
		((w ^ 0x5c*lo) - lo)) & hi // backslash
}

// appendJSONStringSlow appends the rest of s, escaping, and the closing
// quote. b ends with the opening quote and s[:start]; s[start:i] is safe
// and not yet appended.
func appendJSONStringSlow(b []byte, s string, start, i int) []byte {
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
	n := int(uint(len(p)+2) / 3 * 4)
	l := len(b)
	b = slices.Grow(b, n+2)[:l+n+2]
	b[l] = '"'
	if base64Path == base64AVX512 {
		// Called here, not through encodeBase64: one call less for the
		// short values most messages carry.
		base64EncodeAVX512(b[l+1:l+1+n], p)
	} else {
		encodeBase64(b[l+1:l+1+n], p)
	}
	b[l+1+n] = '"'
	return b
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

// Base64Len is the length of p as a quoted base64 JSON string (or null).
func Base64Len(p []byte) int {
	if p == nil {
		return 4
	}
	return (len(p)+2)/3*4 + 2
}
