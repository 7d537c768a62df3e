package crdt

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

var elems = []string{"p", "q", "r", "s", "t", "u", "v", "w"}

func gcounterHarness() harness[GCounter] {
	h := harness[GCounter]{
		name:  "GCounter",
		op:    func(rng *rand.Rand, e env, s *GCounter) *GCounter { return s.Inc(e.r, uint64(1+rng.IntN(5))) },
		merge: (*GCounter).Merge, equal: (*GCounter).Equal, clone: (*GCounter).Clone, take: (*GCounter).TakeDelta,
		gc: (*GCounter).GarbageCollect, tombs: (*GCounter).TombstoneCount,
		value: func(s *GCounter) string { return fmt.Sprint(s.Value()) },
	}
	h.encode, h.decode, h.toJSON, h.fromJS = binaryJSON("GCounter",
		(*GCounter).AppendTo, (*GCounter).DecodeFrom, (*GCounter).WriteJSON, (*GCounter).ReadJSON)
	return h
}

func pncounterHarness() harness[PNCounter] {
	h := harness[PNCounter]{
		name:  "PNCounter",
		op:    func(rng *rand.Rand, e env, s *PNCounter) *PNCounter { return s.Add(e.r, int64(rng.IntN(11)-5)) },
		merge: (*PNCounter).Merge, equal: (*PNCounter).Equal, clone: (*PNCounter).Clone, take: (*PNCounter).TakeDelta,
		gc: (*PNCounter).GarbageCollect, tombs: (*PNCounter).TombstoneCount,
		value: func(s *PNCounter) string { return fmt.Sprint(s.Value()) },
	}
	h.encode, h.decode, h.toJSON, h.fromJS = binaryJSON("PNCounter",
		(*PNCounter).AppendTo, (*PNCounter).DecodeFrom, (*PNCounter).WriteJSON, (*PNCounter).ReadJSON)
	return h
}

func lwwHarness() harness[LWWRegister[string]] {
	type S = LWWRegister[string]
	h := harness[S]{
		name:  "LWWRegister",
		op:    func(rng *rand.Rand, e env, s *S) *S { return s.SetNow(e.r, e.clk, elems[rng.IntN(len(elems))]) },
		merge: (*S).Merge, equal: (*S).Equal, clone: (*S).Clone, take: (*S).TakeDelta,
		gc: (*S).GarbageCollect, tombs: (*S).TombstoneCount,
		value: func(s *S) string { return s.Get() },
	}
	h.encode, h.decode, h.toJSON, h.fromJS = binaryJSON("LWWRegister",
		func(s *S, b []byte) []byte { return s.AppendTo(b, StringCodec) },
		func(s *S, d *Decoder) { s.DecodeFrom(d, StringCodec) },
		func(s *S, w *jwriter.Writer) { s.WriteJSON(w, StringCodec) },
		func(s *S, l *jlexer.Lexer) { s.ReadJSON(l, StringCodec) })
	return h
}

func mvHarness() harness[MVRegister[string]] {
	type S = MVRegister[string]
	h := harness[S]{
		name:  "MVRegister",
		op:    func(rng *rand.Rand, e env, s *S) *S { return s.Set(e.r, elems[rng.IntN(len(elems))]) },
		merge: (*S).Merge, equal: (*S).Equal, clone: (*S).Clone, take: (*S).TakeDelta,
		gc: (*S).GarbageCollect, tombs: (*S).TombstoneCount,
		value: func(s *S) string { v := s.Values(); slices.Sort(v); return strings.Join(v, ",") },
	}
	h.encode, h.decode, h.toJSON, h.fromJS = binaryJSON("MVRegister",
		func(s *S, b []byte) []byte { return s.AppendTo(b, StringCodec) },
		func(s *S, d *Decoder) { s.DecodeFrom(d, StringCodec) },
		func(s *S, w *jwriter.Writer) { s.WriteJSON(w, StringCodec) },
		func(s *S, l *jlexer.Lexer) { s.ReadJSON(l, StringCodec) })
	return h
}

func orsetOp(rng *rand.Rand, e env, s *ORSet[string]) *ORSet[string] {
	x := elems[rng.IntN(len(elems))]
	if rng.IntN(3) == 0 {
		return s.Remove(x)
	}
	return s.Add(e.r, x)
}

func setValue(s *ORSet[string]) string {
	v := s.Elements()
	slices.Sort(v)
	return strings.Join(v, ",")
}

func orsetHarness() harness[ORSet[string]] {
	type S = ORSet[string]
	h := harness[S]{
		name: "ORSet", op: orsetOp,
		merge: (*S).Merge, equal: (*S).Equal, clone: (*S).Clone, take: (*S).TakeDelta,
		gc: (*S).GarbageCollect, tombs: (*S).TombstoneCount, value: setValue,
	}
	h.encode, h.decode, h.toJSON, h.fromJS = binaryJSON("ORSet",
		func(s *S, b []byte) []byte { return s.AppendTo(b, StringCodec) },
		func(s *S, d *Decoder) { s.DecodeFrom(d, StringCodec) },
		func(s *S, w *jwriter.Writer) { s.WriteJSON(w, StringCodec) },
		func(s *S, l *jlexer.Lexer) { s.ReadJSON(l, StringCodec) })
	return h
}

var keys = []string{"k1", "k2", "k3", "k4"}

func ormapCounterHarness() harness[ORMap[string, PNCounter]] {
	type S = ORMap[string, PNCounter]
	h := harness[S]{
		name: "ORMap[string,PNCounter]",
		op: func(rng *rand.Rand, e env, s *S) *S {
			k := keys[rng.IntN(len(keys))]
			if rng.IntN(4) == 0 {
				return s.Remove(k)
			}
			n := int64(rng.IntN(11) - 5)
			return s.Update(e.r, k, func(v *PNCounter) { v.Add(e.r, n) })
		},
		merge: (*S).Merge, equal: (*S).Equal, clone: (*S).Clone, take: (*S).TakeDelta,
		gc: (*S).GarbageCollect, tombs: (*S).TombstoneCount,
		value: func(s *S) string {
			ks := s.Keys()
			slices.Sort(ks)
			var b strings.Builder
			for _, k := range ks {
				fmt.Fprintf(&b, "%s=%d;", k, s.Get(k).Value())
			}
			return b.String()
		},
	}
	h.encode, h.decode, h.toJSON, h.fromJS = binaryJSON("ORMap",
		func(s *S, b []byte) []byte { return s.AppendTo(b, StringCodec, PNCounterCodec) },
		func(s *S, d *Decoder) { s.DecodeFrom(d, StringCodec, PNCounterCodec) },
		func(s *S, w *jwriter.Writer) { s.WriteJSON(w, StringCodec, PNCounterCodec) },
		func(s *S, l *jlexer.Lexer) { s.ReadJSON(l, StringCodec, PNCounterCodec) })
	return h
}

func ormapSetHarness() harness[ORMap[string, ORSet[string]]] {
	type S = ORMap[string, ORSet[string]]
	vc := ORSetCodec(StringCodec)
	h := harness[S]{
		name: "ORMap[string,ORSet]",
		op: func(rng *rand.Rand, e env, s *S) *S {
			k := keys[rng.IntN(len(keys))]
			if rng.IntN(5) == 0 {
				return s.Remove(k)
			}
			return s.Update(e.r, k, func(v *ORSet[string]) { orsetOp(rng, e, v) })
		},
		merge: (*S).Merge, equal: (*S).Equal, clone: (*S).Clone, take: (*S).TakeDelta,
		gc: (*S).GarbageCollect, tombs: (*S).TombstoneCount,
		value: func(s *S) string {
			ks := s.Keys()
			slices.Sort(ks)
			var b strings.Builder
			for _, k := range ks {
				fmt.Fprintf(&b, "%s={%s};", k, setValue(s.Get(k)))
			}
			return b.String()
		},
	}
	h.encode, h.decode, h.toJSON, h.fromJS = binaryJSON("ORMap",
		func(s *S, b []byte) []byte { return s.AppendTo(b, StringCodec, vc) },
		func(s *S, d *Decoder) { s.DecodeFrom(d, StringCodec, vc) },
		func(s *S, w *jwriter.Writer) { s.WriteJSON(w, StringCodec, vc) },
		func(s *S, l *jlexer.Lexer) { s.ReadJSON(l, StringCodec, vc) })
	return h
}

func TestGCounterProperties(t *testing.T)    { runAll(t, gcounterHarness()) }
func TestPNCounterProperties(t *testing.T)   { runAll(t, pncounterHarness()) }
func TestLWWRegisterProperties(t *testing.T) { runAll(t, lwwHarness()) }
func TestMVRegisterProperties(t *testing.T)  { runAll(t, mvHarness()) }
func TestORSetProperties(t *testing.T)       { runAll(t, orsetHarness()) }
func TestORMapCounterProperties(t *testing.T) {
	runAll(t, ormapCounterHarness())
}
func TestORMapSetProperties(t *testing.T) { runAll(t, ormapSetHarness()) }
