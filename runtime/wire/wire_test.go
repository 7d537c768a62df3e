package wire

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var trickyStrings = []string{
	"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>", "\x00\x01\x1f\x7f",
	"\b\f\n\r\t", "é日本😀", "\u2028\u2029", "\ufffd", "bad \xff byte", "\xc3", "\xe2\x82", "\xed\xa0\x80",
	"mixed \xff<\u2028>\xfe&",
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	strs := append([]string(nil), trickyStrings...)
	for range 2000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		strs = append(strs, string(b))
	}
	for _, s := range strs {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		requireAppendJSONString(t, string(want), s)
	}
}

// requireAppendJSONString checks AppendJSONString(b, s) against want for
// a nil b, and for a b holding a prefix with exactly enough room left for
// a safe s and with more: the short-string paths run only when b has room.
// It checks every path the CPU has: both vector kernels, the long one
// alone, and Go.
func requireAppendJSONString(t *testing.T, want, s string) {
	t.Helper()
	short, long := useStringShortAVX512, useStringAVX512
	defer func() { useStringShortAVX512, useStringAVX512 = short, long }()
	requireAppendJSONStringPath(t, want, s)
	if short {
		useStringShortAVX512 = false
		requireAppendJSONStringPath(t, want, s)
	}
	if long {
		useStringAVX512 = false
		requireAppendJSONStringPath(t, want, s)
	}
}

// requireAppendJSONStringPath is requireAppendJSONString on the paths
// useStringShortAVX512 and useStringAVX512 select.
func requireAppendJSONStringPath(t *testing.T, want, s string) {
	t.Helper()
	if got := AppendJSONString(nil, s); string(got) != want {
		t.Fatalf("%q into nil: got %s, want %s", s, got, want)
	}
	for _, room := range []int{len(s) + 2, len(s) + 64} {
		// The buffer's capacity ends 3+room bytes in; guard bytes follow,
		// and no path may write them.
		mem := append(make([]byte, 3+room), "guardguardguardguard"...)
		b := append(mem[:0:3+room], "p: "...)
		if got := AppendJSONString(b, s); string(got) != "p: "+want {
			t.Fatalf("%q with room %d: got %s, want p: %s", s, room, got, want)
		}
		if g := string(mem[3+room:]); g != "guardguardguardguard" {
			t.Fatalf("%q with room %d: wrote past the buffer's capacity: %q", s, room, g)
		}
	}
}

// TestAppendJSONStringEveryByteEveryPlace puts each byte value at each
// place of safe strings of 1 to 24 bytes, so the short-string kernel and
// the word-at-a-time checks (the two overlapping words of short strings,
// whole words and the overlapping last word of longer ones) see every byte
// in every lane,
// and at places around the 64-byte steps of the vector path in longer
// strings.
func TestAppendJSONStringEveryByteEveryPlace(t *testing.T) {
	safe := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 12)
	lengths := []int{31, 32, 33, 63, 64, 65, 66, 127, 128, 129, 200, 300}
	for n := 1; n <= 24; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for at := range n {
			if n > 24 && at > 1 && at < n-2 && at%64 > 0 && at%64 < 63 {
				continue
			}
			for c := range 256 {
				b := []byte(safe[:n])
				b[at] = byte(c)
				want, err := json.Marshal(string(b))
				require.NoError(t, err)
				requireAppendJSONString(t, string(want), string(b))
			}
		}
	}
}

// FuzzAppendJSONString compares AppendJSONString with encoding/json.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Add("long safe ascii string with no escapes at all")
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		requireAppendJSONString(t, string(want), s)
	})
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456789, 1.5e300,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.MaxFloat32, math.SmallestNonzeroFloat32}
	for range 5000 {
		fs = append(fs, math.Float64frombits(r.Uint64()), r.NormFloat64()*math.Pow(10, float64(r.IntN(60)-30)))
	}
	for _, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		want, err := json.Marshal(f)
		require.NoError(t, err)
		got, err := AppendJSONFloat(nil, f, 64)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "%v", f)
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) {
			continue
		}
		want, err = json.Marshal(f32)
		require.NoError(t, err)
		got, err = AppendJSONFloat(nil, float64(f32), 32)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "float32 %v", f32)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, err := AppendJSONFloat(nil, f, 64)
		require.ErrorIs(t, err, ErrUnsupportedValue)
	}
}

func TestJSONReaderStringsMatchEncodingJSON(t *testing.T) {
	inputs := []string{`"a"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u65e5"`, `"\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`,
		`"\udc00"`, "\"\xff\xfe\"", "\"ok \xc3\xa9 \xe2\x28\"", `"\u2028"`, `""`}
	for _, in := range inputs {
		var want string
		require.NoError(t, json.Unmarshal([]byte(in), &want), in)
		r := NewJSONReader([]byte(in), false)
		got, err := r.String()
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		require.NoError(t, r.End())
	}
	for in, msg := range map[string]string{
		`"abc`:                 "offset 4: unexpected end of JSON input",
		"\"a\x01\"":            "offset 2: invalid control character in string",
		`"\x"`:                 `offset 1: invalid escape '\x' in string`,
		`"\u12"`:               `offset 1: invalid \u escape`,
		`{"a":1} x`:            "offset 8: invalid character 'x' after top-level value",
		`[1,]`:                 "offset 3: invalid character ']', want a number",
		`{"a" 1}`:              "offset 5: invalid character '1', want ':'",
		`{"a":1,}`:             `offset 7: invalid character '}', want a string`,
		`nul`:                  "offset 0: invalid character 'n', want a value",
		`18446744073709551616`: "offset 0: number 18446744073709551616 overflows uint64",
	} {
		r := NewJSONReader([]byte(in), false)
		var err error
		switch in[0] {
		case '"':
			_, err = r.String()
		case '1':
			_, err = r.Uint(64)
		default:
			if err = r.Skip(); err == nil {
				err = r.End()
			}
		}
		require.EqualError(t, err, msg, in)
	}
}

// TestJSONReaderStringEveryByteEveryPlace puts each byte value at each
// place of plain strings of 1 to 24 bytes and at the edges of 8-byte
// words in longer ones, so the eight-at-a-time scan for the end of the
// plain run sees every byte in every lane, and checks the result (the
// string, or whether it is an error) against encoding/json.
func TestJSONReaderStringEveryByteEveryPlace(t *testing.T) {
	plain := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 4)
	lengths := []int{31, 32, 33, 64, 65, 100}
	for n := 1; n <= 24; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for at := range n {
			if n > 24 && at%8 != 0 && at%8 != 7 {
				continue
			}
			for c := range 256 {
				s := []byte(plain[:n])
				s[at] = byte(c)
				in := append(append([]byte{'"'}, s...), '"')
				var want string
				stdErr := json.Unmarshal(in, &want)
				r := NewJSONReader(in, false)
				got, err := r.String()
				if err == nil {
					err = r.End()
				}
				if (err == nil) != (stdErr == nil) || err == nil && got != want {
					t.Fatalf("%q: got %q, %v; encoding/json %q, %v", in, got, err, want, stdErr)
				}
			}
		}
	}
}

func TestJSONReaderIntegers(t *testing.T) {
	for in, want := range map[string]int64{`0`: 0, `-1`: -1, `127`: 127, `-128`: -128, `null`: 0} {
		r := NewJSONReader([]byte(in), false)
		v, err := r.Int(8)
		require.NoError(t, err, in)
		require.Equal(t, want, v)
	}
	for _, in := range []string{`128`, `-129`, `1.5`, `1e2`, `01`, `-`, `"1"`} {
		r := NewJSONReader([]byte(in), false)
		_, err := r.Int(8)
		if err == nil {
			err = r.End() // "01" reads 0, then finds 1 after the value
		}
		require.Error(t, err, in)
	}
	r := NewJSONReader([]byte(`-1`), false)
	_, err := r.Uint(64)
	require.ErrorIs(t, err, ErrOverflow)
}

func TestJSONReaderDepth(t *testing.T) {
	deep := make([]byte, 0, 2*MaxDepth+10)
	for range MaxDepth + 1 {
		deep = append(deep, '[')
	}
	r := NewJSONReader(deep, false)
	require.ErrorIs(t, r.Skip(), ErrDepth)
}

func TestStrictSkipField(t *testing.T) {
	r := NewJSONReader([]byte(`1`), true)
	require.ErrorIs(t, r.SkipField([]byte("extra")), ErrUnknownField)
	r = NewJSONReader([]byte(`{"a":[1,{"b":null}]}`), false)
	require.NoError(t, r.SkipField([]byte("extra")))
	require.NoError(t, r.End())
}

func TestDecoderErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		read func(d *Decoder) error
		want string
		is   error
	}{
		{"truncated varint", []byte{0xff, 0xff}, func(d *Decoder) error { _, err := d.Uvarint(TypeVarint, 64); return err },
			"offset 0: varint runs past the end of input", ErrTruncated},
		{"overlong varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, func(d *Decoder) error { _, err := d.Uvarint(TypeVarint, 64); return err },
			"offset 0: varint overflows 64 bits", ErrOverflow},
		{"uint8 overflow", []byte{0x80, 0x02}, func(d *Decoder) error { _, err := d.Uvarint(TypeVarint, 8); return err },
			"offset 0: value 256 overflows uint8", ErrOverflow},
		{"int8 overflow", []byte{0x80, 0x02}, func(d *Decoder) error { _, err := d.Varint(TypeVarint, 8); return err },
			"offset 0: value 128 overflows int8", ErrOverflow},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 'a'}, func(d *Decoder) error { _, err := d.Bytes(TypeLen); return err },
			"offset 0: length 4294967295 exceeds remaining 1 bytes", ErrTruncated},
		{"huge count", []byte{0x03, 0xff, 0xff, 0x03}, func(d *Decoder) error { _, _, err := d.BeginList(TypeLen, 1); return err },
			"offset 1: count 65535 exceeds remaining 0 bytes", ErrTruncated},
		{"wrong wire type", []byte{0x01}, func(d *Decoder) error { _, err := d.String(TypeVarint); return err },
			"offset 0: wire type 0, want 2", ErrWireType},
		{"bad bool", []byte{0x02}, func(d *Decoder) error { _, err := d.Bool(TypeVarint); return err },
			"offset 0: invalid bool byte 0x2", ErrSyntax},
		{"field zero", []byte{0x00}, func(d *Decoder) error { _, _, err := d.Tag(); return err },
			"offset 0: invalid field number 0", ErrSyntax},
		{"group wire type", []byte{0x0b}, func(d *Decoder) error {
			_, typ, err := d.Tag()
			if err != nil {
				return err
			}
			return d.Skip(typ)
		}, "offset 1: undefined wire type 3", ErrWireType},
		{"short float", []byte{1, 2}, func(d *Decoder) error { _, err := d.Float64(TypeFixed64); return err },
			"offset 0: float64 needs 8 bytes, 2 remain", ErrTruncated},
		{"list trailing bytes", []byte{0x03, 0x01, 0x05, 0x06}, func(d *Decoder) error {
			f, n, err := d.BeginList(TypeLen, 1)
			if err != nil {
				return err
			}
			for range n {
				if _, err := d.Uvarint(TypeVarint, 64); err != nil {
					return err
				}
			}
			return d.EndList(f)
		}, "offset 3: 1 unread bytes at the end of a list", ErrSyntax},
	}
	for _, c := range cases {
		d := NewDecoder(c.in)
		err := c.read(&d)
		require.EqualError(t, err, c.want, c.name)
		require.ErrorIs(t, err, c.is, c.name)
	}
}

func TestDecoderDepth(t *testing.T) {
	in := make([]byte, 0, 2*MaxDepth+2)
	for range MaxDepth + 1 {
		in = append(in, 0x00) // placeholder lengths, fixed below
	}
	// Each level is a message whose length covers the rest.
	for i := range in {
		in[i] = byte(len(in) - i - 1)
	}
	d := NewDecoder(in)
	var err error
	for range MaxDepth + 1 {
		if _, err = d.BeginMessage(TypeLen); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, ErrDepth)
}

func TestFinishLen(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 300, 16383, 16384, 70000} {
		for _, guess := range []int{1, 2, 3} {
			body := make([]byte, n)
			for i := range body {
				body[i] = byte(i)
			}
			b, p := ReserveLen([]byte("x"), guess)
			b = append(b, body...)
			b, used := FinishLen(b, p, guess)
			want := append(AppendUvarint([]byte("x"), uint64(n)), body...)
			require.Equal(t, want, b, "n=%d guess=%d", n, guess)
			require.Equal(t, SizeUvarint(uint64(n)), used)
		}
	}
}

func TestErrorPath(t *testing.T) {
	base := errorAt(412, newDetail(ErrTruncated, "length 4294967295 exceeds remaining 12 bytes"))
	err := InType(InElem(InField(base, "Data"), "Entries", 3), "raftwire.AppendEntries")
	require.EqualError(t, err, "raftwire.AppendEntries.Entries[3].Data: offset 412: length 4294967295 exceeds remaining 12 bytes")
	require.ErrorIs(t, err, ErrTruncated)
	var we *Error
	require.True(t, errors.As(err, &we))
	require.Equal(t, 412, we.Offset)
	err = InType(InKey(EncodeError(ErrUnsupportedValue), "Weights", "a"), "x.M")
	require.EqualError(t, err, `x.M.Weights["a"]: unsupported value`)
}

func TestVarintRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 10000 {
		v := r.Uint64() >> r.IntN(64)
		b := AppendUvarint(nil, v)
		require.Len(t, b, SizeUvarint(v))
		d := NewDecoder(b)
		got, err := d.Uvarint(TypeVarint, 64)
		require.NoError(t, err)
		require.Equal(t, v, got)
		s := int64(v)
		b = AppendVarint(nil, s)
		require.Len(t, b, SizeVarint(s))
		d = NewDecoder(b)
		gs, err := d.Varint(TypeVarint, 64)
		require.NoError(t, err)
		require.Equal(t, s, gs)
	}
}

func TestJSONReaderBytes(t *testing.T) {
	for in, want := range map[string]string{`"aGVsbG8="`: "hello", `"aGVs\/bG8="`: "", `""`: "", `null`: ""} {
		r := NewJSONReader([]byte(in), false)
		got, err := r.Bytes()
		var std []byte
		stdErr := json.Unmarshal([]byte(in), &std)
		require.Equal(t, stdErr == nil, err == nil, "%s: ours %v, encoding/json %v", in, err, stdErr)
		if err == nil {
			require.Equal(t, std, got, in)
			_ = want
		}
	}
	// Raw control characters are invalid JSON even where base64 would skip them.
	for _, in := range []string{"\"aGVs\nbG8=\"", "\"aGVs\rbG8=\"", "\"aGVs\x01bG8=\""} {
		r := NewJSONReader([]byte(in), false)
		_, err := r.Bytes()
		require.Error(t, err, "%q", in)
	}
}

// TestIntKeyErrorOffset: an invalid integer map key is reported at the key,
// inside the input, even when the input ends right after it (found by
// FuzzJSON).
func TestIntKeyErrorOffset(t *testing.T) {
	in := []byte(`{"7":1,"0x000":`)
	r := NewJSONReader(in, false)
	require.NoError(t, r.BeginObject())
	var err error
	for n := 0; err == nil; n++ {
		var key []byte
		var ok bool
		key, ok, err = r.Key(n)
		require.True(t, ok || err != nil)
		if err == nil {
			if _, err = r.IntKey(key, 64); err == nil {
				_, err = r.Int(64)
			}
		}
	}
	require.EqualError(t, err, `offset 8: invalid map key "0x000"`)
}

// TestTimeKeepsZoneOffset: a time decodes to the instant and the zone
// offset it was encoded with, including offsets with seconds on either side
// of UTC (local mean time: New York's was -4:56:02), which the standard
// library's Time.UnmarshalBinary reads 256 seconds off when negative.
func TestTimeKeepsZoneOffset(t *testing.T) {
	at := time.Date(1850, 6, 1, 12, 30, 45, 123456789, time.UTC)
	for _, loc := range []*time.Location{
		time.UTC, time.Local,
		time.FixedZone("", 5*3600+30*60), time.FixedZone("", -3*3600),
		time.FixedZone("LMT", -(4*3600 + 56*60 + 2)), time.FixedZone("", 19*60+32),
		time.FixedZone("", -15), time.FixedZone("", -(23*3600 + 59*60 + 59)),
	} {
		want := at.In(loc)
		b, err := AppendTime([]byte{9}, want)
		require.NoError(t, err, loc)
		require.Equal(t, SizeTime(want), len(b)-1)
		d := NewDecoder(b)
		d.pos = 1
		got, err := d.Time(TypeLen)
		require.NoError(t, err, loc)
		require.True(t, got.Equal(want), "%v: got %v, want %v", loc, got, want)
		_, gotOff := got.Zone()
		_, wantOff := want.Zone()
		require.Equal(t, wantOff, gotOff, "%v: zone offset of %v", loc, got)
		require.Equal(t, len(b), d.Offset())
	}
}

// TestTimeOddZoneBytesReencode: version-2 zone bytes Time.AppendBinary
// never writes (a minute part of -1, or of the other sign than the
// seconds) still decode to a time that encodes again.
func TestTimeOddZoneBytesReencode(t *testing.T) {
	for _, zone := range [][3]byte{{0xff, 0xff, 0xf1}, {0x00, 0x05, 0xf1}, {0xff, 0xfb, 0x0f}, {0x7f, 0xff, 0x80}, {0x80, 0x00, 0x80}} {
		p := []byte{2, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 7, zone[0], zone[1], zone[2]}
		d := NewDecoder(append([]byte{byte(len(p))}, p...))
		got, err := d.Time(TypeLen)
		require.NoError(t, err, "%x", zone)
		_, err = AppendTime(nil, got)
		require.NoError(t, err, "%x: %v", zone, got)
	}
}

// TestIntKeysAsEncodingJSON: integer map keys are accepted and read exactly
// when encoding/json accepts them, which parses them with strconv.ParseInt
// and ParseUint (base 10): leading zeros and, for signed keys, a '+' are
// fine; anything else that is not all digits is not.
func TestIntKeysAsEncodingJSON(t *testing.T) {
	keys := []string{"0", "-0", "+0", "007", "-007", "+7", "-7", "+", "-", "", " 1", "1 ", "1e2", "1.0", "0x1",
		"1_0", "+-1", "--1", "127", "128", "-128", "-129", "255", "256", "\u0663", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
		"18446744073709551616", "000000000000000000000000000001"}
	for _, key := range keys {
		for _, bits := range []int{8, 64} {
			in := []byte(`{"` + key + `":1}`)
			r := NewJSONReader(in, false)
			require.NoError(t, r.BeginObject())
			k, ok, err := r.Key(0)
			require.True(t, ok)
			require.NoError(t, err)
			want, werr := strconv.ParseInt(key, 10, bits)
			got, err := r.IntKey(k, bits)
			require.Equal(t, werr == nil, err == nil, "int%d key %q: %v", bits, key, err)
			if err == nil {
				require.Equal(t, want, got, "int%d key %q", bits, key)
			} else {
				var we *Error
				require.ErrorAs(t, err, &we)
				require.Equal(t, 2, we.Offset, "int%d key %q: %v", bits, key, err)
			}
			uwant, werr := strconv.ParseUint(key, 10, bits)
			ugot, err := r.UintKey(k, bits)
			require.Equal(t, werr == nil, err == nil, "uint%d key %q: %v", bits, key, err)
			if err == nil {
				require.Equal(t, uwant, ugot, "uint%d key %q", bits, key)
			}
		}
	}
}
