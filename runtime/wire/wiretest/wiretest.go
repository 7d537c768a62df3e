// Package wiretest supports the tests crdtgen generates next to every
// generated package: a seeded random value source whose seed is logged and
// can be replayed, seed corpora of hostile inputs for the fuzz targets, and
// checks that a decoder error names what went wrong.
//
// Replay a failing randomised run with CRDTGEN_SEED=<seed> go test ./gen/...
package wiretest

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dwsdk/distributed/runtime/wire"
)

// SeedEnv names the environment variable that fixes the seed.
const SeedEnv = "CRDTGEN_SEED"

// Rand produces random field values. With InvalidUTF8 set, strings may
// contain invalid UTF-8 (which JSON cannot round-trip, so only tests that
// compare encodings set it).
type Rand struct {
	*rand.Rand
	InvalidUTF8 bool
}

// New returns a Rand seeded from $CRDTGEN_SEED or the clock, and logs the
// seed so a failure can be replayed.
func New(t testing.TB) *Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(SeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", SeedEnv, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with %s=%d)", seed, SeedEnv, seed)
	return NewSeeded(seed)
}

// NewSeeded returns a Rand with a fixed seed.
func NewSeeded(seed uint64) *Rand {
	return &Rand{Rand: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Bool returns a random bool.
func (r *Rand) Bool() bool { return r.IntN(2) == 1 }

// Uint returns zero, a small value or any value of the given bit size.
func (r *Rand) Uint(bits int) uint64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return r.Uint64N(200)
	}
	v := r.Uint64()
	if bits < 64 {
		v &= 1<<uint(bits) - 1
	}
	return v
}

// Int returns zero, a small value or any value of the given bit size.
func (r *Rand) Int(bits int) int64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return r.Int64N(400) - 200
	}
	v := int64(r.Uint64())
	if bits < 64 {
		v = v << (64 - uint(bits)) >> (64 - uint(bits))
	}
	return v
}

// Float64 returns a finite float64, often an awkward one for formatting.
func (r *Rand) Float64() float64 {
	switch r.IntN(6) {
	case 0:
		return 0
	case 1:
		return float64(r.Int64N(2000) - 1000)
	case 2:
		return r.NormFloat64() * 1e-7
	case 3:
		return r.NormFloat64() * 1e22
	}
	for {
		f := math.Float64frombits(r.Uint64())
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
	}
}

// Float32 returns a finite float32.
func (r *Rand) Float32() float32 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return float32(r.Int64N(2000)-1000) / 8
	}
	for {
		f := math.Float32frombits(r.Uint32())
		if !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) {
			return f
		}
	}
}

var pieces = []string{
	"a", "Z", "0", " ", "node-1", "<", ">", "&", `"`, `\`, "/", "\n", "\t", "\x00", "\x1f", "\x7f",
	"é", "日本", "😀", "\u2028", "\u2029", "\ufffd", "\u00a0", "{", "}", "[", "]", ",", ":",
}

// String returns a string mixing ASCII, characters JSON escapes and
// multi-byte UTF-8.
func (r *Rand) String() string {
	n := r.IntN(8)
	if n == 0 {
		return ""
	}
	var b []byte
	for range n {
		b = append(b, pieces[r.IntN(len(pieces))]...)
		if r.InvalidUTF8 && r.IntN(4) == 0 {
			b = append(b, []byte{0xff, 0xc3, 0xe2, 0x82, 0x80}[r.IntN(5)])
		}
	}
	if !r.InvalidUTF8 && !utf8.Valid(b) {
		panic("wiretest: invalid UTF-8 from valid pieces")
	}
	return string(b)
}

// Bytes returns nil, an empty slice or random bytes.
func (r *Rand) Bytes() []byte {
	switch r.IntN(5) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	return r.BytesNonNil()
}

// BytesNonNil returns random bytes, possibly empty, never nil (for slice
// elements and map values, where the binary format cannot tell nil from
// empty).
func (r *Rand) BytesNonNil() []byte {
	b := make([]byte, r.IntN(40))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Time returns the zero time or a UTC time with nanoseconds in years 1-9999.
func (r *Rand) Time() time.Time {
	if r.IntN(4) == 0 {
		return time.Time{}
	}
	const lo, hi = -62135596800, 253402300799 // 0001-01-01 .. 9999-12-31
	return time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9)).UTC()
}

// Len returns -1 (nil) or a length for a slice or map; deeper levels get
// shorter ones so recursive types stay small.
func (r *Rand) Len(depth int) int {
	if depth > 3 || r.IntN(5) == 0 {
		return -1
	}
	return r.IntN(5 - min(depth, 4))
}

// Maybe decides whether an optional (pointer) field is set.
func (r *Rand) Maybe(depth int) bool { return depth <= 3 && r.IntN(2) == 0 }

// CheckError fails t unless err is a *wire.Error naming a type and an
// offset inside the input of length n.
func CheckError(t testing.TB, err error, n int) {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) {
		t.Fatalf("decoder error %v (%T) is not a *wire.Error", err, err)
	}
	if we.Type == "" {
		t.Fatalf("decoder error %q names no type", err)
	}
	if we.Offset < 0 || we.Offset > n {
		t.Fatalf("decoder error %q: offset %d outside the input of %d bytes", err, we.Offset, n)
	}
}

// BinarySeeds are hostile binary inputs for fuzz corpora: truncated and
// overlong varints, huge length prefixes and counts, undefined wire types,
// field number zero and deeply nested length-delimited fields.
func BinarySeeds() [][]byte {
	seeds := [][]byte{
		{},
		{0x08},       // tag, no value
		{0x08, 0xff}, // truncated varint
		{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // varint overflow
		{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f},                               // length 4294967295
		{0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},       // length 2^63-1
		{0x12, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f},                         // list count 4294967295
		{0x0b}, {0x0c}, {0x0e}, {0x0f}, // wire types 3, 4, 6, 7
		{0x00, 0x00},                         // field number 0
		{0x09, 1, 2, 3},                      // truncated fixed64
		{0x0d, 1},                            // truncated fixed32
		{0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01}, // field number 2^29-1
		{0x80, 0x80, 0x80, 0x80, 0x20, 0x01}, // field number 2^29
	}
	for f := 1; f <= 8; f++ {
		seeds = append(seeds, Nest(byte(f<<3|wire.TypeLen), 200))
	}
	return seeds
}

// Nest wraps an empty message in depth length-delimited fields with tag.
func Nest(tag byte, depth int) []byte {
	var b []byte
	for range depth {
		inner := b
		b = append([]byte{tag}, wire.AppendUvarint(nil, uint64(len(inner)))...)
		b = append(b, inner...)
	}
	return b
}

// JSONSeeds are hostile JSON inputs for fuzz corpora.
func JSONSeeds() [][]byte {
	deepArr := []byte(`{"x":`)
	for range 10000 {
		deepArr = append(deepArr, '[')
	}
	deepObj := []byte{}
	for range 5000 {
		deepObj = append(deepObj, `{"a":`...)
	}
	return [][]byte{
		[]byte(``), []byte(`{`), []byte(`{"`), []byte(`{"a"`), []byte(`{"a":`), []byte(`{"a":1`),
		[]byte(`null`), []byte(`nul`), []byte(`[]`), []byte(`{}`), []byte(`{} {}`), []byte(`{,}`),
		[]byte(`{"a":1,}`), []byte(`{"a" 1}`), []byte(`{"a":1 "b":2}`),
		deepArr, deepObj,
		[]byte("{\"a\":\"\xff\xfe\"}"), []byte("{\"\xff\":1}"), []byte(`{"a":"\ud800"}`), []byte(`{"a":"\ud83d\ude00"}`),
		[]byte(`{"a":"\u00"}`), []byte(`{"a":"\x"}`), []byte("{\"a\":\"\x01\"}"),
		[]byte(`{"a":1e999}`), []byte(`{"a":-0}`), []byte(`{"a":01}`), []byte(`{"a":1.}`), []byte(`{"a":.5}`),
		[]byte(`{"a":18446744073709551616}`), []byte(`{"a":-9223372036854775809}`),
		[]byte(`{"a":tru}`), []byte(`{"a":nulll}`), []byte(`{"a":"aGVsbG8"}`), []byte(`{"a":"!!!!"}`),
		[]byte(`{"a":"10000-01-01T00:00:00Z"}`), []byte(`{"a":{"b":[1,{"c":null}]}}`),
	}
}

// JSONValues are hostile values to put under a real field name, so fuzz
// corpora reach the code that decodes each field.
func JSONValues() []string {
	return []string{
		"\"\xff\"", `"\ud800x"`, `1e999`, `-1`, `1.5`, `18446744073709551616`, `"!!"`, `"`, `[`, `{`,
		`[1,`, `{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`, `null`, `true`, `""`, `[]`, `{}`, `"2006-01-02T15:04:05Z"`,
		`[null]`, `{"1":null}`, `{"x":1}`, `[{}]`, `"AAEC"`,
	}
}
