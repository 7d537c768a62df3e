package crdt

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// Codec encodes one element, key or value type for the generic CRDTs. The
// generated code passes concrete instances (StringCodec, Int64Codec, ...,
// ORSetCodec(StringCodec), or a record's codec), so encoding involves neither
// reflection nor boxing. A binary encoding must be self-delimiting.
type Codec[T any] struct {
	// Name is used in error messages.
	Name string
	// AppendBinary appends v's binary encoding to b.
	AppendBinary func(b []byte, v *T) []byte
	// DecodeBinary reads one value into v; failures are recorded in d.
	DecodeBinary func(d *Decoder, v *T)
	// WriteJSON writes v as JSON.
	WriteJSON func(w *jwriter.Writer, v *T)
	// ReadJSON reads one JSON value into v; failures are recorded in l.
	ReadJSON func(l *jlexer.Lexer, v *T)
	// Compare orders values; set elements and map keys are encoded in this
	// order so equal states encode to equal bytes. Nil for map values.
	Compare func(a, b *T) int
}

// Sentinel errors wrapped by DecodeError.
var (
	// ErrTruncated: the input ends inside a value.
	ErrTruncated = errors.New("truncated input")
	// ErrOverflow: a varint does not fit 64 bits.
	ErrOverflow = errors.New("varint overflows 64 bits")
	// ErrTooLarge: a length or count exceeds the remaining input.
	ErrTooLarge = errors.New("length exceeds remaining input")
	// ErrInvalid: the input decodes but violates the type's invariants.
	ErrInvalid = errors.New("invalid state")
)

// DecodeError says which type and field failed to decode and where.
type DecodeError struct {
	Type   string
	Field  string
	Offset int
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("crdt: decode %s.%s at offset %d: %v", e.Type, e.Field, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decoder reads the binary encoding of CRDTs. It records the first error
// and then returns zero values, so callers check Err once at the end. It
// never allocates more than the remaining input can justify.
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
	if d.err == nil {
		d.err = &DecodeError{Type: d.typ, Field: field, Offset: d.base + d.off, Err: err}
	}
}

// Failf records a formatted ErrInvalid for field.
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
		d.Fail(field, ErrTruncated)
		return 0
	case n < 0:
		d.Fail(field, ErrOverflow)
		return 0
	}
	d.off += n
	return v
}

// Varint reads a zigzag signed varint.
func (d *Decoder) Varint(field string) int64 {
	u := d.Uvarint(field)
	return int64(u>>1) ^ -int64(u&1)
}

// Count reads a collection length and checks that count items of at least
// minSize bytes each fit in the remaining input, so the caller may allocate.
func (d *Decoder) Count(field string, minSize int) int {
	n := d.Uvarint(field)
	if d.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if n > uint64(d.Remaining()/minSize) {
		d.Fail(field, fmt.Errorf("%w: count %d", ErrTooLarge, n))
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
		d.Fail(field, fmt.Errorf("%w: length %d", ErrTooLarge, n))
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
		d.Fail(field, ErrTruncated)
		return 0
	}
	b := d.buf[d.off]
	d.off++
	return b
}

// Fixed64 reads 8 little-endian bytes.
func (d *Decoder) Fixed64(field string) uint64 {
	if d.err != nil {
		return 0
	}
	if d.Remaining() < 8 {
		d.Fail(field, ErrTruncated)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.buf[d.off:])
	d.off += 8
	return v
}

// End records an error when input is left over.
func (d *Decoder) End() {
	if d.err == nil && d.Remaining() != 0 {
		d.Failf("(end)", "%d trailing bytes", d.Remaining())
	}
}

// AppendUvarint appends an unsigned varint.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendVarint appends a zigzag signed varint.
func AppendVarint(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// AppendString appends a length-prefixed string.
func AppendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// AppendBytes appends a length-prefixed byte string.
func AppendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// jsonFail records a DecodeError in the lexer.
func jsonFail(l *jlexer.Lexer, typ, field string, err error) {
	l.AddError(&DecodeError{Type: typ, Field: field, Offset: l.GetPos(), Err: err})
}

// Element codecs for the primitive types crdtgen supports.
var (
	// StringCodec encodes strings (length-prefixed UTF-8).
	StringCodec = &Codec[string]{
		Name:         "string",
		AppendBinary: func(b []byte, v *string) []byte { return AppendString(b, *v) },
		DecodeBinary: func(d *Decoder, v *string) { *v = d.String("value") },
		WriteJSON:    func(w *jwriter.Writer, v *string) { w.String(*v) },
		ReadJSON:     func(l *jlexer.Lexer, v *string) { *v = l.String() },
		Compare:      func(a, b *string) int { return cmp.Compare(*a, *b) },
	}
	// Int64Codec encodes int64 (zigzag varint).
	Int64Codec = &Codec[int64]{
		Name:         "int64",
		AppendBinary: func(b []byte, v *int64) []byte { return AppendVarint(b, *v) },
		DecodeBinary: func(d *Decoder, v *int64) { *v = d.Varint("value") },
		WriteJSON:    func(w *jwriter.Writer, v *int64) { w.Int64(*v) },
		ReadJSON:     func(l *jlexer.Lexer, v *int64) { *v = l.Int64() },
		Compare:      func(a, b *int64) int { return cmp.Compare(*a, *b) },
	}
	// IntCodec encodes int (zigzag varint).
	IntCodec = &Codec[int]{
		Name:         "int",
		AppendBinary: func(b []byte, v *int) []byte { return AppendVarint(b, int64(*v)) },
		DecodeBinary: func(d *Decoder, v *int) { *v = int(d.Varint("value")) },
		WriteJSON:    func(w *jwriter.Writer, v *int) { w.Int(*v) },
		ReadJSON:     func(l *jlexer.Lexer, v *int) { *v = l.Int() },
		Compare:      func(a, b *int) int { return cmp.Compare(*a, *b) },
	}
	// Uint64Codec encodes uint64 (varint).
	Uint64Codec = &Codec[uint64]{
		Name:         "uint64",
		AppendBinary: func(b []byte, v *uint64) []byte { return AppendUvarint(b, *v) },
		DecodeBinary: func(d *Decoder, v *uint64) { *v = d.Uvarint("value") },
		WriteJSON:    func(w *jwriter.Writer, v *uint64) { w.Uint64(*v) },
		ReadJSON:     func(l *jlexer.Lexer, v *uint64) { *v = l.Uint64() },
		Compare:      func(a, b *uint64) int { return cmp.Compare(*a, *b) },
	}
	// Float64Codec encodes float64 (8 bytes little-endian IEEE 754).
	Float64Codec = &Codec[float64]{
		Name: "float64",
		AppendBinary: func(b []byte, v *float64) []byte {
			return binary.LittleEndian.AppendUint64(b, math.Float64bits(*v))
		},
		DecodeBinary: func(d *Decoder, v *float64) { *v = math.Float64frombits(d.Fixed64("value")) },
		WriteJSON:    func(w *jwriter.Writer, v *float64) { w.Float64(*v) },
		ReadJSON:     func(l *jlexer.Lexer, v *float64) { *v = l.Float64() },
		Compare:      func(a, b *float64) int { return cmp.Compare(*a, *b) },
	}
	// BoolCodec encodes bool (one byte, 0 or 1).
	BoolCodec = &Codec[bool]{
		Name: "bool",
		AppendBinary: func(b []byte, v *bool) []byte {
			if *v {
				return append(b, 1)
			}
			return append(b, 0)
		},
		DecodeBinary: func(d *Decoder, v *bool) {
			switch d.Byte("value") {
			case 0:
				*v = false
			case 1:
				*v = true
			default:
				d.Failf("value", "bool byte not 0 or 1")
			}
		},
		WriteJSON: func(w *jwriter.Writer, v *bool) { w.Bool(*v) },
		ReadJSON:  func(l *jlexer.Lexer, v *bool) { *v = l.Bool() },
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
