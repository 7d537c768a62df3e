package crdt

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// orModel is the specification of an add-wins observed-remove set over
// causal histories: a replica knows a set of add and remove events; a remove
// observes the adds of its element the remover knew; an element is present
// when some add of it known here is observed by no remove known here. Merging
// replicas unites what they know. (Only the union of what removes observed
// matters, so that is what the model keeps.)
type orModel struct {
	adds     map[int]string // add event -> element
	observed map[int]bool   // add events some known remove observed
}

func newORModel() *orModel {
	return &orModel{adds: map[int]string{}, observed: map[int]bool{}}
}

func (m *orModel) elements() []string {
	out := []string{}
	for a, e := range m.adds {
		if !m.observed[a] && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out
}

func (m *orModel) remove(e string) {
	for a, x := range m.adds {
		if x == e {
			m.observed[a] = true
		}
	}
}

func (m *orModel) merge(o *orModel) {
	for a, e := range o.adds {
		m.adds[a] = e
	}
	for a := range o.observed {
		m.observed[a] = true
	}
}

// orLike is what the semantics test needs of an observed-remove container:
// ORSet elements, or ORMap keys.
type orLike[S any] struct {
	add    func(s *S, r ReplicaID, e string)
	remove func(s *S, e string)
	merge  func(dst, src *S)
	keys   func(s *S) []string
	tombs  func(s *S) int
	encode func(s *S) []byte
	json   func(s *S) []byte
	// perKey bounds the encoded bytes of one live element or key with its
	// concurrent dots (and values).
	perKey int
}

// checkAddWins runs random adds, removes and full-state merges on three
// replicas and requires after every step that each replica holds exactly
// the elements the specification gives for what it knows: an add concurrent
// with a remove survives, an observed add does not, a removed element never
// comes back from an older state. After a final exchange no removal
// metadata is left, however many removes there were, and the encoding is
// bounded by the live elements (a map key keeps one value per concurrent
// writer until the next update), not by the history.
func checkAddWins[S any](t *testing.T, o orLike[S]) {
	forSeeds(t, 10, func(t *testing.T, rng *rand.Rand) {
		const n = 3
		states, models := make([]*S, n), make([]*orModel, n)
		for i := range states {
			states[i], models[i] = new(S), newORModel()
		}
		check := func(step int) {
			for i := range states {
				got := append([]string{}, o.keys(states[i])...)
				slices.Sort(got)
				require.Equal(t, models[i].elements(), got, "step %d, replica %s", step, replicaNames[i])
			}
		}
		for step := range 400 {
			i := rng.IntN(n)
			e := elems[rng.IntN(4)]
			switch k := rng.IntN(10); {
			case k < 4:
				o.add(states[i], replicaNames[i], e)
				models[i].adds[step] = e
			case k < 7:
				if slices.Contains(models[i].elements(), e) {
					o.remove(states[i], e)
					models[i].remove(e)
				}
			default:
				j := rng.IntN(n)
				o.merge(states[j], states[i])
				models[j].merge(models[i])
			}
			check(step)
		}
		for range 2 {
			for i := range n {
				for j := range n {
					o.merge(states[j], states[i])
					models[j].merge(models[i])
				}
			}
		}
		check(-1)
		for i := range n {
			require.Zero(t, o.tombs(states[i]), "removal metadata after a full exchange")
			require.LessOrEqual(t, len(o.encode(states[i])), 64+o.perKey*len(o.keys(states[i])),
				"the encoding grows with the history: %s", o.json(states[i]))
		}
	})
}

func TestORSetAddWinsSemantics(t *testing.T) {
	type S = ORSet[string]
	h := orsetHarness()
	checkAddWins(t, orLike[S]{
		add:    func(s *S, r ReplicaID, e string) { s.Add(r, e) },
		remove: func(s *S, e string) { s.Remove(e) },
		merge:  (*S).Merge,
		keys:   (*S).Elements,
		tombs:  (*S).TombstoneCount,
		encode: h.encode,
		json:   h.toJSON,
		perKey: 16,
	})
}

func TestORMapKeysAddWinsSemantics(t *testing.T) {
	type S = ORMap[string, PNCounter]
	h := ormapCounterHarness()
	checkAddWins(t, orLike[S]{
		add: func(s *S, r ReplicaID, e string) {
			s.Update(r, e, func(v *PNCounter) { v.Add(r, 1) })
		},
		remove: func(s *S, e string) { s.Remove(e) },
		merge:  (*S).Merge,
		keys:   (*S).Keys,
		tombs:  (*S).TombstoneCount,
		encode: h.encode,
		json:   h.toJSON,
		perKey: 3 * 40, // up to one value of 3 counter entries per replica
	})
}
