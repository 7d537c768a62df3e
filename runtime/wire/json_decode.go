package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// JSONReader is the pull parser generated UnmarshalJSON methods use. It
// validates the JSON grammar as it goes, replaces invalid UTF-8 in strings
// with U+FFFD as encoding/json does, bounds nesting at MaxDepth, and reports
// errors with the byte offset in the input.
type JSONReader struct {
	data    []byte
	pos     int
	base    int // offset of data[0] in the caller's input
	depth   int
	strict  bool
	scratch []byte // unescaped string; valid until the next string is read
	mem     arena  // decoded strings and bytes (see arena)
	keyPos  int    // offset of the opening quote of the last key Key read
}

// NewJSONReader returns a reader over data. With strict set, SkipField
// refuses unknown fields with ErrUnknownField instead of skipping them.
func NewJSONReader(data []byte, strict bool) JSONReader {
	return JSONReader{data: data, strict: strict, mem: arena{size: len(data)}}
}

// NewJSONReaderAt is NewJSONReader for data that starts at byte offset base
// of a larger input, so error offsets refer to the larger input.
func NewJSONReaderAt(data []byte, base int, strict bool) JSONReader {
	return JSONReader{data: data, base: base, strict: strict, mem: arena{size: len(data)}}
}

// Offset is the current byte offset in the input.
func (r *JSONReader) Offset() int { return r.base + r.pos }

func (r *JSONReader) errAt(pos int, sentinel error, msg string) error {
	if msg == "" {
		return errorAt(r.base+pos, sentinel)
	}
	return errorAt(r.base+pos, newDetail(sentinel, msg))
}

func (r *JSONReader) syntax(msg string) error { return r.errAt(r.pos, ErrSyntax, msg) }

func (r *JSONReader) eof() error {
	return r.errAt(r.pos, ErrTruncated, "unexpected end of JSON input")
}

func (r *JSONReader) unexpected(want string) error {
	if r.pos >= len(r.data) {
		return r.eof()
	}
	return r.syntax("invalid character " + quoteChar(r.data[r.pos]) + ", want " + want)
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	if c >= utf8.RuneSelf {
		s = `"\x` + string(hexDigits[c>>4]) + string(hexDigits[c&0xf]) + `"`
	}
	return "'" + s[1:len(s)-1] + "'"
}

func (r *JSONReader) ws() {
	// Compact JSON has none: one comparison settles it.
	for r.pos < len(r.data) && r.data[r.pos] <= ' ' {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// End checks that only whitespace follows the top-level value.
func (r *JSONReader) End() error {
	r.ws()
	if r.pos != len(r.data) {
		return r.syntax("invalid character " + quoteChar(r.data[r.pos]) + " after top-level value")
	}
	return nil
}

// Null consumes a null literal if one comes next.
func (r *JSONReader) Null() bool {
	r.ws()
	if len(r.data)-r.pos >= 4 && r.data[r.pos] == 'n' && string(r.data[r.pos:r.pos+4]) == "null" {
		r.pos += 4
		return true
	}
	return false
}

func (r *JSONReader) enter(open byte, want string) error {
	r.ws()
	if r.pos >= len(r.data) || r.data[r.pos] != open {
		return r.unexpected(want)
	}
	if r.depth >= MaxDepth {
		return r.errAt(r.pos, ErrDepth, "values nest deeper than "+strconv.Itoa(MaxDepth))
	}
	r.depth++
	r.pos++
	return nil
}

// BeginObject consumes '{'.
func (r *JSONReader) BeginObject() error { return r.enter('{', "'{'") }

// BeginArray consumes '['.
func (r *JSONReader) BeginArray() error { return r.enter('[', "'['") }

// Key reads the n-th key of the current object (n counts from 0) and its
// colon. At the closing '}' it returns ok == false. The key may alias
// internal scratch space: it is valid until the next read.
func (r *JSONReader) Key(n int) (key []byte, ok bool, err error) {
	r.ws()
	if r.pos >= len(r.data) {
		return nil, false, r.eof()
	}
	c := r.data[r.pos]
	if c == '}' {
		r.pos++
		r.depth--
		return nil, false, nil
	}
	if n > 0 {
		if c != ',' {
			return nil, false, r.unexpected("',' or '}'")
		}
		r.pos++
		r.ws()
	}
	r.keyPos = r.pos
	key, err = r.stringBytes()
	if err != nil {
		return nil, false, err
	}
	r.ws()
	if r.pos >= len(r.data) || r.data[r.pos] != ':' {
		return nil, false, r.unexpected("':'")
	}
	r.pos++
	return key, true, nil
}

// Elem moves to the n-th element of the current array (n counts from 0).
// At the closing ']' it returns false.
func (r *JSONReader) Elem(n int) (bool, error) {
	r.ws()
	if r.pos >= len(r.data) {
		return false, r.eof()
	}
	c := r.data[r.pos]
	if c == ']' {
		r.pos++
		r.depth--
		return false, nil
	}
	if n > 0 {
		if c != ',' {
			return false, r.unexpected("',' or ']'")
		}
		r.pos++
	}
	return true, nil
}

// SkipField skips the value of an unknown field, or, when the reader is
// strict, fails with ErrUnknownField.
func (r *JSONReader) SkipField(key []byte) error {
	if r.strict {
		return r.errAt(r.pos, ErrUnknownField, "unknown field "+strconv.Quote(string(key)))
	}
	return r.Skip()
}

// Bool reads true, false or null (false).
func (r *JSONReader) Bool() (bool, error) {
	r.ws()
	rest := r.data[r.pos:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		r.pos += 4
		return true, nil
	case len(rest) >= 5 && string(rest[:5]) == "false":
		r.pos += 5
		return false, nil
	case len(rest) >= 4 && string(rest[:4]) == "null":
		r.pos += 4
		return false, nil
	}
	return false, r.unexpected("a bool")
}

// number scans a JSON number and returns its bounds and whether it is an
// integer (no fraction, no exponent).
func (r *JSONReader) number() (start, end int, isInt bool, err error) {
	start, i, d := r.pos, r.pos, r.data
	isInt = true
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		r.pos = i
		return 0, 0, false, r.unexpected("a number")
	}
	if i < len(d) && d[i] == '.' {
		isInt = false
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			r.pos = i
			return 0, 0, false, r.unexpected("a digit")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		isInt = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			r.pos = i
			return 0, 0, false, r.unexpected("a digit")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	r.pos = i
	return start, i, isInt, nil
}

// Uint reads an unsigned integer of the given bit size; null reads as 0.
func (r *JSONReader) Uint(bitSize int) (uint64, error) {
	start, end, isInt, null, err := r.numberOrNull()
	if null || err != nil {
		return 0, err
	}
	return r.parseUint(start, end, isInt, bitSize)
}

// numberOrNull skips white space and reads a number, or a null (null true).
func (r *JSONReader) numberOrNull() (start, end int, isInt, null bool, err error) {
	r.ws()
	if r.pos < len(r.data) && r.data[r.pos] == 'n' && r.Null() {
		return 0, 0, false, true, nil
	}
	start, end, isInt, err = r.number()
	return start, end, isInt, false, err
}

func (r *JSONReader) parseUint(start, end int, isInt bool, bitSize int) (uint64, error) {
	bad := func(what string) error {
		return r.errAt(start, ErrOverflow, "number "+string(r.data[start:end])+" "+what+" uint"+strconv.Itoa(bitSize))
	}
	if !isInt || r.data[start] == '-' {
		return 0, bad("is not a")
	}
	var v uint64
	for _, c := range r.data[start:end] {
		if v > (math.MaxUint64-9)/10 {
			nv := v*10 + uint64(c-'0')
			if v > math.MaxUint64/10 || nv < v*10 {
				return 0, bad("overflows")
			}
			v = nv
			continue
		}
		v = v*10 + uint64(c-'0')
	}
	if bitSize < 64 && v>>uint(bitSize) != 0 {
		return 0, bad("overflows")
	}
	return v, nil
}

// Int reads a signed integer of the given bit size; null reads as 0.
func (r *JSONReader) Int(bitSize int) (int64, error) {
	start, end, isInt, null, err := r.numberOrNull()
	if null || err != nil {
		return 0, err
	}
	return r.parseInt(start, end, isInt, bitSize)
}

func (r *JSONReader) parseInt(start, end int, isInt bool, bitSize int) (int64, error) {
	bad := func(what string) error {
		return r.errAt(start, ErrOverflow, "number "+string(r.data[start:end])+" "+what+" int"+strconv.Itoa(bitSize))
	}
	if !isInt {
		return 0, bad("is not an")
	}
	neg := r.data[start] == '-'
	digits := r.data[start:end]
	if neg {
		digits = digits[1:]
	}
	var u uint64
	for _, c := range digits {
		if u > math.MaxUint64/10 {
			return 0, bad("overflows")
		}
		nu := u*10 + uint64(c-'0')
		if nu < u*10 {
			return 0, bad("overflows")
		}
		u = nu
	}
	lim := uint64(1) << uint(bitSize-1)
	if neg {
		if u > lim {
			return 0, bad("overflows")
		}
		return -int64(u), nil
	}
	if u >= lim {
		return 0, bad("overflows")
	}
	return int64(u), nil
}

// Float reads a number as a float of the given bit size; null reads as 0.
func (r *JSONReader) Float(bitSize int) (float64, error) {
	r.ws()
	if r.pos < len(r.data) && r.data[r.pos] == 'n' && r.Null() {
		return 0, nil
	}
	start, end, _, err := r.number()
	if err != nil {
		return 0, err
	}
	num := r.data[start:end]
	f, perr := strconv.ParseFloat(unsafe.String(&num[0], len(num)), bitSize)
	if perr != nil {
		return 0, r.errAt(start, ErrOverflow, "number "+string(num)+" overflows float"+strconv.Itoa(bitSize))
	}
	return f, nil
}

// String reads a string; null reads as "".
func (r *JSONReader) String() (string, error) {
	r.ws()
	if r.pos < len(r.data) && r.data[r.pos] == 'n' && r.Null() {
		return "", nil
	}
	b, err := r.stringBytes()
	if err != nil {
		return "", err
	}
	return r.mem.string(b), nil
}

// StringKey is Key's counterpart for map keys: it returns a copy of key.
func StringKey(key []byte) string { return string(key) }

// IntKey parses a map key as a signed integer, as encoding/json does (with
// strconv.ParseInt): an optional sign, then decimal digits.
func (r *JSONReader) IntKey(key []byte, bitSize int) (int64, error) {
	var v int64
	err := r.parseKey(key, true, func(start, end int) (err error) {
		v, err = r.parseInt(start, end, true, bitSize)
		return err
	})
	return v, err
}

// UintKey parses a map key as an unsigned integer, as encoding/json does
// (with strconv.ParseUint): decimal digits.
func (r *JSONReader) UintKey(key []byte, bitSize int) (uint64, error) {
	var v uint64
	err := r.parseKey(key, false, func(start, end int) (err error) {
		v, err = r.parseUint(start, end, true, bitSize)
		return err
	})
	return v, err
}

// parseKey checks that key, the last key Key read, is decimal digits after
// a sign (signed keys only; a '+' is dropped) and hands its bounds to
// parse, with error offsets pointing at the key in the input.
func (r *JSONReader) parseKey(key []byte, signed bool, parse func(start, end int) error) error {
	save, data, base := r.pos, r.data, r.base
	r.data, r.pos, r.base = key, 0, r.base+r.keyPos+1
	start, i := 0, 0
	if signed && len(key) > 0 && (key[0] == '+' || key[0] == '-') {
		if key[0] == '+' {
			start = 1
		}
		i = 1
	}
	ok := i < len(key)
	for ; i < len(key); i++ {
		ok = ok && key[i] >= '0' && key[i] <= '9'
	}
	var err error
	if !ok {
		err = r.syntax("invalid map key " + strconv.Quote(string(key)))
	} else {
		err = parse(start, len(key))
	}
	r.data, r.pos, r.base = data, save, base
	return err
}

// Bytes reads a base64 string as encoding/json does; null reads as nil and
// "" as an empty, non-nil slice.
func (r *JSONReader) Bytes() ([]byte, error) {
	r.ws()
	if r.pos < len(r.data) && r.data[r.pos] == 'n' && r.Null() {
		return nil, nil
	}
	start := r.pos
	var s []byte
	// Fast path for long base64 text: find the closing quote with
	// bytes.IndexByte. The base64 decoder rejects every byte the full string
	// scan would (controls, non-ASCII) except \r and \n, which it skips, so
	// those and escapes send the string down the slow path.
	if r.pos < len(r.data) && r.data[r.pos] == '"' {
		if i := bytes.IndexByte(r.data[r.pos+1:], '"'); i >= 0 {
			if t := r.data[r.pos+1 : r.pos+1+i]; bytes.IndexByte(t, '\\') < 0 && bytes.IndexByte(t, '\n') < 0 && bytes.IndexByte(t, '\r') < 0 {
				s = t
				r.pos += i + 2
			}
		}
	}
	if s == nil {
		var err error
		if s, err = r.stringBytes(); err != nil {
			return nil, err
		}
	}
	p := r.mem.alloc(base64.StdEncoding.DecodedLen(len(s)))
	n, err := decodeBase64(p, s)
	if err != nil {
		return nil, r.errAt(start, ErrSyntax, "invalid base64: "+err.Error())
	}
	return p[:n:n], nil
}

// Time reads an RFC 3339 string as time.Time.UnmarshalJSON does; null reads
// as the zero time.
func (r *JSONReader) Time() (time.Time, error) {
	r.ws()
	if r.pos < len(r.data) && r.data[r.pos] == 'n' && r.Null() {
		return time.Time{}, nil
	}
	start := r.pos
	if _, err := r.stringBytes(); err != nil {
		return time.Time{}, err
	}
	var t time.Time
	if err := t.UnmarshalJSON(r.data[start:r.pos]); err != nil {
		return time.Time{}, r.errAt(start, ErrSyntax, err.Error())
	}
	return t, nil
}

// stringBytes reads a string token. The result aliases the input when the
// string has no escapes and is valid UTF-8, and r.scratch otherwise.
func (r *JSONReader) stringBytes() ([]byte, error) {
	r.ws()
	if r.pos >= len(r.data) || r.data[r.pos] != '"' {
		return nil, r.unexpected("a string")
	}
	start := r.pos + 1
	d := r.data
	i := start
	// Eight bytes at a time to the first quote, backslash, control byte
	// or non-ASCII byte; the byte loop below looks at that one.
	for ; i+8 <= len(d); i += 8 {
		if m := jsonStringStop8(binary.LittleEndian.Uint64(d[i:])); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			break
		}
	}
	for ; i < len(d); i++ {
		c := d[i]
		if c == '"' {
			r.pos = i + 1
			return d[start:i], nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return r.stringSlow(start, i)
		}
	}
	r.pos = len(d)
	return nil, r.eof()
}

// jsonStringStop8 has the high bit of a byte of w set at the first byte
// of w that ends the plain run of a JSON string: a quote, a backslash, a
// control byte or a byte of 0x80 and above. Bytes after that one may be
// marked too (a borrow runs on from it), the bytes before it never are,
// and w without such a byte gives 0 (the trick of jsonUnsafe8).
func jsonStringStop8(w uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	return (w | (w - 0x20*lo) | // 0x80 and above, below 0x20
		((w ^ 0x22*lo) - lo) | // quote
		((w ^ 0x5c*lo) - lo)) & hi // backslash
}

func (r *JSONReader) stringSlow(start, i int) ([]byte, error) {
	d := r.data
	out := append(r.scratch[:0], d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			r.pos = i + 1
			r.scratch = out
			return out, nil
		case c == '\\':
			if i+1 >= len(d) {
				r.pos = len(d)
				return nil, r.eof()
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				rr, ok := hex4(d[i+2:])
				if !ok {
					r.pos = i
					return nil, r.syntax("invalid \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(rr) {
					if rr2, ok := hex4tail(d[i:]); ok {
						if dec := utf16.DecodeRune(rr, rr2); dec != utf8.RuneError {
							rr = dec
							i += 6
						} else {
							rr = utf8.RuneError
						}
					} else {
						rr = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, rr)
			default:
				r.pos = i
				return nil, r.syntax("invalid escape '\\" + string(rune(e)) + "' in string")
			}
		case c < 0x20:
			r.pos = i
			return nil, r.syntax("invalid control character in string")
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			rr, size := utf8.DecodeRune(d[i:])
			if rr == utf8.RuneError && size == 1 {
				out = append(out, "\uFFFD"...)
			} else {
				out = append(out, d[i:i+size]...)
			}
			i += size
		}
	}
	r.pos = len(d)
	return nil, r.eof()
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// hex4tail reads a following \uXXXX escape, if there is one.
func hex4tail(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	return hex4(b[2:])
}

// Skip skips one value of any kind, checking its syntax.
func (r *JSONReader) Skip() error {
	r.ws()
	if r.pos >= len(r.data) {
		return r.eof()
	}
	switch c := r.data[r.pos]; {
	case c == '{':
		if err := r.BeginObject(); err != nil {
			return err
		}
		for n := 0; ; n++ {
			_, ok, err := r.Key(n)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := r.Skip(); err != nil {
				return err
			}
		}
	case c == '[':
		if err := r.BeginArray(); err != nil {
			return err
		}
		for n := 0; ; n++ {
			ok, err := r.Elem(n)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := r.Skip(); err != nil {
				return err
			}
		}
	case c == '"':
		_, err := r.stringBytes()
		return err
	case c == 't' || c == 'f':
		_, err := r.Bool()
		return err
	case c == 'n':
		if r.Null() {
			return nil
		}
		return r.unexpected("a value")
	default:
		_, _, _, err := r.number()
		return err
	}
}
