package crdt

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzDecoder checks that decoding arbitrary bytes never panics, and that
// whatever decodes re-encodes canonically: decode(encode(s)) equals s and
// encodes to the same bytes.
func fuzzDecoder[S any](f *testing.F, h harness[S], json bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range randomStates(rng, h, 3, 25) {
		if json {
			f.Add(h.toJSON(s))
		} else {
			f.Add(h.encode(s))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte(`{"context":{"vv":{"a":1}},"entries":[{"key":"x","dot":["b",9]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, enc := h.decode, h.encode
		if json {
			dec, enc = h.fromJS, h.toJSON
		}
		s, err := dec(data)
		if err != nil {
			return
		}
		b := enc(s)
		back, err := dec(b)
		require.NoError(t, err, "re-decoding our own encoding")
		require.True(t, h.equal(s, back))
		require.Equal(t, b, enc(back))
	})
}

func FuzzORSetBinary(f *testing.F)        { fuzzDecoder(f, orsetHarness(), false) }
func FuzzORSetJSON(f *testing.F)          { fuzzDecoder(f, orsetHarness(), true) }
func FuzzORMapBinary(f *testing.F)        { fuzzDecoder(f, ormapSetHarness(), false) }
func FuzzORMapJSON(f *testing.F)          { fuzzDecoder(f, ormapSetHarness(), true) }
func FuzzPNCounterBinary(f *testing.F)    { fuzzDecoder(f, pncounterHarness(), false) }
func FuzzPNCounterJSON(f *testing.F)      { fuzzDecoder(f, pncounterHarness(), true) }
func FuzzMVRegisterBinary(f *testing.F)   { fuzzDecoder(f, mvHarness(), false) }
func FuzzLWWRegisterBinary(f *testing.F)  { fuzzDecoder(f, lwwHarness(), false) }
func FuzzLWWRegisterJSON(f *testing.F)    { fuzzDecoder(f, lwwHarness(), true) }
func FuzzORMapCounterBinary(f *testing.F) { fuzzDecoder(f, ormapCounterHarness(), false) }

func TestDecodeErrorsNameTypeFieldAndOffset(t *testing.T) {
	var s ORSet[string]
	s.Add("a", "x")
	b := s.AppendTo(nil, StringCodec)
	d := NewDecoder(b[:len(b)-1], "TableCatalogEntry.tags", 100)
	var out ORSet[string]
	out.DecodeFrom(d, StringCodec)
	require.ErrorIs(t, d.Err(), ErrTruncated)
	var de *DecodeError
	require.ErrorAs(t, d.Err(), &de)
	require.Equal(t, "TableCatalogEntry.tags", de.Type)
	require.Equal(t, "entries.dot", de.Field)
	require.Equal(t, 100+len(b)-1, de.Offset)
	require.Contains(t, d.Err().Error(), "TableCatalogEntry.tags.entries.dot at offset")

	// a count larger than the input is refused before allocating
	d = NewDecoder([]byte{0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, "ORSet", 0)
	out.DecodeFrom(d, StringCodec)
	require.ErrorIs(t, d.Err(), ErrTooLarge)
}
