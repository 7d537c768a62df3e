package wire

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by every *Error; test them with errors.Is.
var (
	// ErrTruncated: the input ends inside a value, or a length prefix or
	// element count exceeds the bytes that remain.
	ErrTruncated = errors.New("unexpected end of input")
	// ErrOverflow: a varint is longer than 10 bytes or a number does not fit
	// the field's type.
	ErrOverflow = errors.New("value out of range")
	// ErrWireType: a known field arrived with the wrong wire type, or an
	// unknown field with an undefined wire type.
	ErrWireType = errors.New("wrong wire type")
	// ErrDepth: messages or JSON values nest deeper than MaxDepth.
	ErrDepth = errors.New("nesting too deep")
	// ErrSyntax: malformed JSON, or a malformed binary value (bad field
	// number, bad bool, trailing bytes inside a list).
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownField: a strict JSON decode met a field the type does not
	// declare.
	ErrUnknownField = errors.New("unknown field")
	// ErrUnsupportedValue: a value JSON cannot represent (NaN, ±Inf, a time
	// outside years 0-9999); encoding/json refuses the same values.
	ErrUnsupportedValue = errors.New("unsupported value")
)

// MaxDepth bounds how deeply decoders let messages (binary) or values (JSON)
// nest before they give up with ErrDepth.
const MaxDepth = 100

// Error is returned by every generated encoder and decoder. It names the
// top-level type, the path of the field inside it and, for decoders, the
// byte offset in the input where the problem was found.
type Error struct {
	// Type is the package-qualified type being decoded, e.g. "raftwire.AppendEntries".
	Type string
	// Field is the path inside Type, e.g. "Entries[3].Data"; empty at top level.
	Field string
	// Offset is the byte offset in the input, or -1 when encoding.
	Offset int
	// Err is the cause; it wraps one of the sentinel errors.
	Err error
}

// Error formats as "raftwire.AppendEntries.Entries[3].Data: offset 412: cause".
func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString(e.Type)
	if e.Field != "" {
		if e.Type != "" && e.Field[0] != '[' {
			sb.WriteByte('.')
		}
		sb.WriteString(e.Field)
	}
	if sb.Len() > 0 {
		sb.WriteString(": ")
	}
	if e.Offset >= 0 {
		sb.WriteString("offset ")
		sb.WriteString(strconv.Itoa(e.Offset))
		sb.WriteString(": ")
	}
	sb.WriteString(e.Err.Error())
	return sb.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// detail is a cause with a precise message that still matches its sentinel.
type detail struct {
	msg      string
	sentinel error
}

func (d *detail) Error() string        { return d.msg }
func (d *detail) Is(target error) bool { return target == d.sentinel }

func newDetail(sentinel error, msg string) error { return &detail{msg: msg, sentinel: sentinel} }

// errorAt builds an *Error at a byte offset.
func errorAt(off int, err error) *Error { return &Error{Offset: off, Err: err} }

// EncodeError is the error an encoder returns for a value it cannot encode.
func EncodeError(err error) error { return &Error{Offset: -1, Err: err} }

// InField adds a field name to the path of an error returned by a nested
// decoder or encoder. Generated code calls it only on the error path.
func InField(err error, name string) error {
	e := asError(err)
	switch {
	case e.Field == "":
		e.Field = name
	case e.Field[0] == '[':
		e.Field = name + e.Field
	default:
		e.Field = name + "." + e.Field
	}
	return e
}

// InElem adds "name[i]" to the path of an error.
func InElem(err error, name string, i int) error {
	return InField(InField(err, "["+strconv.Itoa(i)+"]"), name)
}

// InKey adds "name[key]" to the path of an error about a map entry.
func InKey(err error, name string, key string) error {
	return InField(InField(err, "["+strconv.Quote(key)+"]"), name)
}

// InType sets the top-level type name of an error. Generated Unmarshal and
// Marshal methods call it once, at the outermost level.
func InType(err error, typ string) error {
	e := asError(err)
	if e.Type == "" {
		e.Type = typ
	}
	return e
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Offset: -1, Err: err}
}

// InIntKey adds "name[key]" to the path of an error about an entry of a map
// with integer keys.
func InIntKey(err error, name string, key int64) error {
	return InField(InField(err, "["+strconv.FormatInt(key, 10)+"]"), name)
}

// InUintKey is InIntKey for unsigned keys.
func InUintKey(err error, name string, key uint64) error {
	return InField(InField(err, "["+strconv.FormatUint(key, 10)+"]"), name)
}
