package crdt

import (
	"math/rand/v2"
	"testing"
)

// RecordPtr is the method set of a generated record, as the property tests
// of records (records_test.go, package crdt_test) use it.
type RecordPtr[S any] interface {
	*S
	Merge(o *S)
	Equal(o *S) bool
	Clone() *S
	TakeDelta() *S
	GarbageCollect(opts GCOptions) GCStats
	TombstoneCount() int
	MarshalBinary() ([]byte, error)
	UnmarshalBinary(data []byte) error
	MarshalJSON() ([]byte, error)
	UnmarshalJSON(data []byte) error
}

// RunRecordProperties runs the generic property tests (merge laws, delta
// streams, lossy convergence, codecs, pruning) on a generated record. op
// performs one random mutation as replica r; value renders the record's
// observable value.
func RunRecordProperties[S any, P RecordPtr[S]](t *testing.T, name string, op func(rng *rand.Rand, r ReplicaID, clk *Clock, s P), value func(P) string) {
	h := harness[S]{
		name:     name,
		prefixOK: true,
		op: func(rng *rand.Rand, e env, s *S) *S {
			op(rng, e.r, e.clk, P(s))
			return nil // deltas come from TakeDelta
		},
		merge: func(dst, src *S) { P(dst).Merge(src) },
		equal: func(a, b *S) bool { return P(a).Equal(b) },
		clone: func(s *S) *S { return P(s).Clone() },
		take:  func(s *S) *S { return P(s).TakeDelta() },
		gc:    func(s *S, o GCOptions) GCStats { return P(s).GarbageCollect(o) },
		tombs: func(s *S) int { return P(s).TombstoneCount() },
		value: func(s *S) string { return value(P(s)) },
		encode: func(s *S) []byte {
			b, err := P(s).MarshalBinary()
			if err != nil {
				panic(err)
			}
			return b
		},
		decode: func(b []byte) (*S, error) {
			s := new(S)
			return s, P(s).UnmarshalBinary(b)
		},
		toJSON: func(s *S) []byte {
			b, err := P(s).MarshalJSON()
			if err != nil {
				panic(err)
			}
			return b
		},
		fromJS: func(b []byte) (*S, error) {
			s := new(S)
			return s, P(s).UnmarshalJSON(b)
		},
	}
	runAll(t, h)
}
