package crdt

import (
	"github.com/dwsdk/distributed/runtime/wire"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fuzzDecoder checks that decoding arbitrary bytes never panics, and that
// whatever decodes re-encodes canonically: decode(encode(s)) equals s and
// encodes to the same bytes.
func fuzzDecoder[S any](f *testing.F, h harness[S], json bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	peers := randomStates(rng, h, 3, 25)
	for _, s := range peers {
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
		// whatever decodes merges both ways without panicking or hanging,
		// and the merge stays idempotent
		for _, p := range peers {
			into := h.clone(p)
			h.merge(into, s)
			again := h.clone(into)
			h.merge(again, s)
			require.True(t, h.equal(into, again), "merging the decoded value twice")
			h.merge(h.clone(s), p)
		}
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
	d := NewDecoder(b[:len(b)-1], "records.TableCatalogEntry", 100)
	var out ORSet[string]
	out.DecodeFrom(d, StringCodec)
	require.ErrorIs(t, d.Err(), wire.ErrTruncated)
	var we *wire.Error
	require.ErrorAs(t, d.Err(), &we)
	require.Equal(t, "records.TableCatalogEntry", we.Type)
	require.Equal(t, "entries.dot", we.Field)
	require.Equal(t, 100+len(b)-1, we.Offset)
	require.Contains(t, d.Err().Error(), "records.TableCatalogEntry.entries.dot: offset")
	require.True(t, out.IsZero(), "a failed decode leaves the receiver unchanged")

	// a count larger than the input is refused before allocating
	d = NewDecoder([]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, "crdt.ORSet", 0)
	out.DecodeFrom(d, StringCodec)
	require.ErrorIs(t, d.Err(), wire.ErrTruncated)

	// invariant violations are ErrInvalid, in JSON too
	js := []byte(`{"context":{"vv":{"a":1}},"entries":[{"element":"x","dot":["b",9]}]}`)
	r := wire.NewJSONReader(js, false)
	require.ErrorIs(t, out.DecodeJSON(&r, StringCodec), ErrInvalid)
}

// A decodable delta whose context claims a few huge vector entries must not
// make a merge walk its dots one by one: the cost estimate that picks the
// walk once wrapped around to 0 for two entries of 2^63 and the merge ran
// for ever.
func TestMergeOfHugeContextDoesNotWalkIt(t *testing.T) {
	var bad ORSet[string]
	bad.SeedDots("a", 1<<63)
	bad.SeedDots("b", 1<<63)
	d, err := orsetHarness().decode(bad.AppendTo(nil, StringCodec))
	require.NoError(t, err)
	var s ORSet[string]
	s.Add("c", "x")
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Merge(d)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("merging a delta with a huge context did not finish")
	}
	require.True(t, s.Contains("x"))
	require.Equal(t, uint64(1<<63), s.Context().Get("a"))
}

// A state claiming a dot counter near 2^64 is refused, in binary and JSON:
// a replica whose counter sits at 2^64-1 would give its next add the dot
// counter 0, an element no remove can reach.
func TestDecodeRefusesDotCountersNearTheTop(t *testing.T) {
	set := orsetHarness()
	// one message wherever the counter sits
	const tooHigh = "dot counter a:18446744073709551615 above 9223372036854775808"
	for name, tc := range map[string]struct {
		seed func(*ORSet[string])
		want string
	}{
		"vector": {func(s *ORSet[string]) { s.SeedDots("a", 1<<63+1) }, "dot counter a:9223372036854775809 above 9223372036854775808"},
		"cloud":  {func(s *ORSet[string]) { s.k.ctx.Add(Dot{Replica: "a", Counter: 1<<64 - 1}) }, tooHigh},
	} {
		t.Run(name, func(t *testing.T) {
			var bad ORSet[string]
			tc.seed(&bad)
			_, err := set.decode(set.encode(&bad))
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
			_, err = set.fromJS(set.toJSON(&bad))
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("map high-water", func(t *testing.T) {
		h := ormapSetHarness()
		var bad ORMap[string, ORSet[string]]
		bad.raiseHW("a", 1<<64-1)
		_, err := h.decode(h.encode(&bad))
		require.ErrorIs(t, err, ErrInvalid)
		require.ErrorContains(t, err, tooHigh)
		_, err = h.fromJS(h.toJSON(&bad))
		require.ErrorIs(t, err, ErrInvalid)
		require.ErrorContains(t, err, tooHigh)
	})
	// the largest counter accepted still leaves room for the next dot
	var top ORSet[string]
	top.SeedDots("a", 1<<63)
	back, err := set.decode(set.encode(&top))
	require.NoError(t, err)
	back.Add("a", "x")
	require.NotNil(t, back.Remove("x"))
	require.False(t, back.Contains("x"))
}
