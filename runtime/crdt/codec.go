package crdt

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/dwsdk/distributed/runtime/wire"
)

// Codec encodes one element, key or value type for the generic CRDTs. The
// generated code passes concrete instances (StringCodec, Int64Codec, ...,
// ORSetCodec(StringCodec), or a record's codec), so encoding involves neither
// reflection nor boxing. A binary encoding must be self-delimiting.
//
// The JSON side follows the generated codecs of package wire: values are
// appended to a byte slice and read with a wire.JSONReader.
type Codec[T any] struct {
	// Name is used in error messages.
	Name string
	// AppendBinary appends v's binary encoding to b.
	AppendBinary func(b []byte, v *T) []byte
	// DecodeBinary reads one value into v; failures are recorded in d.
	DecodeBinary func(d *Decoder, v *T)
	// AppendJSON appends v as JSON.
	AppendJSON func(b []byte, v *T) []byte
	// DecodeJSON reads one JSON value into v.
	DecodeJSON func(r *wire.JSONReader, v *T) error
	// Compare orders values; set elements and map keys are encoded in this
	// order so equal states encode to equal bytes. Nil for map values.
	Compare func(a, b *T) int
}

// ErrInvalid is wrapped by decode errors for input that parses but violates
// a CRDT's invariants (a dot outside the context, a duplicate entry, ...).
// Malformed input wraps the sentinels of package wire (wire.ErrTruncated,
// wire.ErrOverflow, wire.ErrSyntax).
var ErrInvalid = errors.New("invalid CRDT state")

// Decoder reads the binary encoding of CRDTs. It records the first error
// (a *wire.Error naming type, field and byte offset) and then returns zero
// values, so callers check Err once at the end. Every count is checked
// against the remaining input before anything is allocated.
type Decoder struct {
	buf  []byte
	off  int
	base int
	typ  string
	err  error
}

// NewDecoder reads buf; typ names the decoded type in errors and base is
// buf's offset inside the enclosing message (added to error offsets).
func NewDecoder(buf []byte, typ string, base int) *Decoder {
	return &Decoder{buf: buf, typ: typ, base: base}
}

// Err returns the first error recorded.
func (d *Decoder) Err() error { return d.err }

// Offset returns the absolute offset of the next byte.
func (d *Decoder) Offset() int { return d.base + d.off }

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Fail records err for field at the current offset (first error wins).
func (d *Decoder) Fail(field string, err error) {
	if d.err != nil {
		return
	}
	var we *wire.Error
	if errors.As(err, &we) { // a nested decoder's error: keep its position
		we = &wire.Error{Type: d.typ, Field: field, Offset: we.Offset, Err: we}
		if we.Offset < 0 {
			we.Offset = d.Offset()
		}
		d.err = we
		return
	}
	d.err = &wire.Error{Type: d.typ, Field: field, Offset: d.Offset(), Err: err}
}

// Failf records ErrInvalid with a message for field.
func (d *Decoder) Failf(field, format string, args ...any) {
	d.Fail(field, fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...)))
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	switch {
	case n == 0:
		d.Fail(field, wire.ErrTruncated)
		return 0
	case n < 0:
		d.Fail(field, wire.ErrOverflow)
		return 0
	}
	d.off += n
	return v
}

// Varint reads a zigzag signed varint.
func (d *Decoder) Varint(field string) int64 { return wire.Unzigzag(d.Uvarint(field)) }

// Count reads a collection length and checks that count items of at least
// minSize bytes each fit in the remaining input, so the caller may allocate.
func (d *Decoder) Count(field string, minSize int) int {
	n := d.Uvarint(field)
	if d.err != nil {
		return 0
	}
	if n > uint64(d.Remaining()/max(minSize, 1)) {
		d.Fail(field, fmt.Errorf("%w: count %d exceeds the %d bytes that remain", wire.ErrTruncated, n, d.Remaining()))
		return 0
	}
	return int(n)
}

// Bytes reads a length-prefixed byte string (aliasing the input).
func (d *Decoder) Bytes(field string) []byte {
	n := d.Uvarint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(d.Remaining()) {
		d.Fail(field, fmt.Errorf("%w: length %d exceeds the %d bytes that remain", wire.ErrTruncated, n, d.Remaining()))
		return nil
	}
	b := d.buf[d.off : d.off+int(n)]
	d.off += int(n)
	return b
}

// String reads a length-prefixed string.
func (d *Decoder) String(field string) string { return string(d.Bytes(field)) }

// Byte reads one byte.
func (d *Decoder) Byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if d.Remaining() < 1 {
		d.Fail(field, wire.ErrTruncated)
		return 0
	}
	b := d.buf[d.off]
	d.off++
	return b
}

// End records an error when input is left over.
func (d *Decoder) End() {
	if d.err == nil && d.Remaining() != 0 {
		d.Fail("", fmt.Errorf("%w: %d trailing bytes", wire.ErrSyntax, d.Remaining()))
	}
}

// jsonErr is the error for a JSON state that parses but is invalid.
func jsonErr(r *wire.JSONReader, field, format string, args ...any) error {
	return &wire.Error{Field: field, Offset: r.Offset(), Err: fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))}
}

// Element codecs for the primitive types crdtgen supports.
var (
	// StringCodec encodes strings (length-prefixed UTF-8).
	StringCodec = &Codec[string]{
		Name:         "string",
		AppendBinary: func(b []byte, v *string) []byte { return wire.AppendString(b, *v) },
		DecodeBinary: func(d *Decoder, v *string) { *v = d.String("value") },
		AppendJSON:   func(b []byte, v *string) []byte { return wire.AppendJSONString(b, *v) },
		DecodeJSON: func(r *wire.JSONReader, v *string) (err error) {
			*v, err = r.String()
			return err
		},
		Compare: func(a, b *string) int { return cmp.Compare(*a, *b) },
	}
	// Int64Codec encodes int64 (zigzag varint).
	Int64Codec = &Codec[int64]{
		Name:         "int64",
		AppendBinary: func(b []byte, v *int64) []byte { return wire.AppendVarint(b, *v) },
		DecodeBinary: func(d *Decoder, v *int64) { *v = d.Varint("value") },
		AppendJSON:   func(b []byte, v *int64) []byte { return strconv.AppendInt(b, *v, 10) },
		DecodeJSON: func(r *wire.JSONReader, v *int64) (err error) {
			*v, err = r.Int(64)
			return err
		},
		Compare: func(a, b *int64) int { return cmp.Compare(*a, *b) },
	}
	// Uint64Codec encodes uint64 (varint).
	Uint64Codec = &Codec[uint64]{
		Name:         "uint64",
		AppendBinary: func(b []byte, v *uint64) []byte { return wire.AppendUvarint(b, *v) },
		DecodeBinary: func(d *Decoder, v *uint64) { *v = d.Uvarint("value") },
		AppendJSON:   func(b []byte, v *uint64) []byte { return strconv.AppendUint(b, *v, 10) },
		DecodeJSON: func(r *wire.JSONReader, v *uint64) (err error) {
			*v, err = r.Uint(64)
			return err
		},
		Compare: func(a, b *uint64) int { return cmp.Compare(*a, *b) },
	}
	// BoolCodec encodes bool (one byte, 0 or 1).
	BoolCodec = &Codec[bool]{
		Name:         "bool",
		AppendBinary: func(b []byte, v *bool) []byte { return wire.AppendBool(b, *v) },
		DecodeBinary: func(d *Decoder, v *bool) {
			switch d.Byte("value") {
			case 0:
				*v = false
			case 1:
				*v = true
			default:
				d.Fail("value", fmt.Errorf("%w: bool byte not 0 or 1", wire.ErrSyntax))
			}
		},
		AppendJSON: func(b []byte, v *bool) []byte { return strconv.AppendBool(b, *v) },
		DecodeJSON: func(r *wire.JSONReader, v *bool) (err error) {
			*v, err = r.Bool()
			return err
		},
		Compare: func(a, b *bool) int {
			switch {
			case *a == *b:
				return 0
			case !*a:
				return -1
			default:
				return 1
			}
		},
	}
)

// AppendLen appends the length-prefixed output of fn: generated records use
// it for CRDT fields (wire type TypeLen) without a second buffer.
func AppendLen(b []byte, fn func([]byte) []byte) []byte {
	b = append(b, 0)
	start := len(b)
	b = fn(b)
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	s := wire.SizeUvarint(uint64(n))
	b = append(b, make([]byte, s-1)...)
	copy(b[start-1+s:], b[start:start+n])
	wire.AppendUvarint(b[:start-1], uint64(n))
	return b
}

// Nested reads a length-prefixed value and decodes it with dec (generated
// records use it for record values inside ORMaps). Offsets in dec's error
// are relative to raw; Nested makes them absolute.
func (d *Decoder) Nested(field string, dec func(raw []byte) error) {
	raw := d.Bytes(field)
	if d.err != nil {
		return
	}
	base := d.Offset() - len(raw)
	if err := dec(raw); err != nil {
		var we *wire.Error
		if errors.As(err, &we) && we.Offset >= 0 {
			we.Offset += base
		}
		d.Fail(field, err)
	}
}
