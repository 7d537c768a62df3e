package crdt

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"github.com/stretchr/testify/require"
)

// seeds returns the seeds a randomised test runs: CRDT_SEED replays one,
// SOAK=1 runs many, the default run a few.
func seeds(t *testing.T, normal int) []uint64 {
	t.Helper()
	if s := os.Getenv("CRDT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		return []uint64{v}
	}
	n := normal
	if os.Getenv("SOAK") != "" {
		n *= 50
	}
	base := uint64(time.Now().UnixNano())
	out := make([]uint64, n)
	for i := range out {
		out[i] = base + uint64(i)
	}
	return out
}

// forSeeds runs fn once per seed, naming the seed in a subtest so a failure
// says how to replay it (CRDT_SEED=<seed>).
func forSeeds(t *testing.T, normal int, fn func(t *testing.T, rng *rand.Rand)) {
	for _, s := range seeds(t, normal) {
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) {
			t.Logf("replay with CRDT_SEED=%d", s)
			fn(t, rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15)))
		})
	}
}

// env is what a random operation may use: the acting replica and its clock.
type env struct {
	r   ReplicaID
	clk *Clock
}

// harness describes one CRDT type to the generic property tests.
type harness[S any] struct {
	name   string
	op     func(rng *rand.Rand, e env, s *S) *S // a random mutation; returns its delta (may be nil)
	merge  func(dst, src *S)
	equal  func(a, b *S) bool
	clone  func(*S) *S
	take   func(*S) *S
	gc     func(*S, GCOptions) GCStats
	tombs  func(*S) int
	value  func(*S) string // canonical rendering of the observable value
	encode func(*S) []byte
	decode func([]byte) (*S, error)
	toJSON func(*S) []byte
	fromJS func([]byte) (*S, error)
	// prefixOK: a prefix of an encoding may decode (records: a cut at a
	// field boundary leaves the remaining fields zero, by design).
	prefixOK bool
}

var replicaNames = []ReplicaID{"a", "b", "c", "d", "e"}

// fakeTime is a manually advanced physical clock.
type fakeTime struct{ ms int64 }

func (f *fakeTime) now() time.Time { return time.UnixMilli(f.ms) }

func newEnvs(n int) ([]env, *fakeTime) {
	ft := &fakeTime{ms: 1_700_000_000_000}
	out := make([]env, n)
	for i := range out {
		out[i] = env{r: replicaNames[i], clk: NewClock(ClockConfig{Physical: ft.now, MaxOffset: time.Second})}
	}
	return out, ft
}

// randomStates runs random operations on n replicas with occasional
// merges, so the states share history and diverge.
func randomStates[S any](rng *rand.Rand, h harness[S], n, ops int) []*S {
	envs, ft := newEnvs(n)
	states := make([]*S, n)
	for i := range states {
		states[i] = new(S)
	}
	for range ops {
		ft.ms += int64(rng.IntN(3))
		i := rng.IntN(n)
		h.op(rng, envs[i], states[i])
		if rng.IntN(4) == 0 {
			j := rng.IntN(n)
			h.merge(states[i], states[j])
		}
	}
	for _, s := range states {
		h.take(s)
	}
	return states
}

func requireSame[S any](t *testing.T, h harness[S], a, b *S, what string) {
	t.Helper()
	if !h.equal(a, b) {
		require.Equal(t, string(h.toJSON(a)), string(h.toJSON(b)), "%s: %s states differ", what, h.name)
		require.Fail(t, "states differ but encode equally", "%s: %s", what, h.name)
	}
	require.Equal(t, h.value(a), h.value(b), "%s: values", what)
	require.Equal(t, h.encode(a), h.encode(b), "%s: binary encodings", what)
	require.Equal(t, string(h.toJSON(a)), string(h.toJSON(b)), "%s: JSON encodings", what)
	// a decoded state counts from scratch what the other may keep counted
	require.Equal(t, h.tombs(a), h.tombs(b), "%s: TombstoneCount", what)
}

func merged[S any](h harness[S], a, b *S) *S {
	c := h.clone(a)
	h.merge(c, b)
	return c
}

// checkLaws: merge is commutative, associative and idempotent.
func checkLaws[S any](t *testing.T, h harness[S]) {
	forSeeds(t, 20, func(t *testing.T, rng *rand.Rand) {
		s := randomStates(rng, h, 3, 40)
		a, b, c := s[0], s[1], s[2]
		requireSame(t, h, merged(h, a, b), merged(h, b, a), "commutative")
		requireSame(t, h, merged(h, merged(h, a, b), c), merged(h, a, merged(h, b, c)), "associative")
		requireSame(t, h, merged(h, a, a), a, "idempotent")
		self := h.clone(a)
		h.merge(self, self) // aliased: one state merged into itself
		requireSame(t, h, self, a, "merged into itself")
		requireSame(t, h, merged(h, a, new(S)), a, "zero value is the identity")
		requireSame(t, h, merged(h, new(S), a), a, "zero value is the identity")
		requireSame(t, h, merged(h, merged(h, a, b), b), merged(h, a, b), "idempotent after merge")
	})
}

// checkDeltas: merging the deltas the mutators returned, or the deltas
// TakeDelta returned, equals merging the full state.
func checkDeltas[S any](t *testing.T, h harness[S]) {
	forSeeds(t, 20, func(t *testing.T, rng *rand.Rand) {
		envs, ft := newEnvs(2)
		base := randomStates(rng, h, 2, 20)
		src := h.clone(base[0])
		viaOps, viaTake, viaFull := h.clone(base[1]), h.clone(base[1]), h.clone(base[1])
		// the receivers saw src's state once, earlier
		for _, r := range []*S{viaOps, viaTake, viaFull} {
			h.merge(r, base[0])
		}
		var deltas []*S
		for range 30 {
			ft.ms += int64(rng.IntN(2))
			if d := h.op(rng, envs[0], src); d != nil {
				deltas = append(deltas, d)
			}
			if rng.IntN(5) == 0 {
				if d := h.take(src); d != nil {
					h.merge(viaTake, d)
				}
			}
		}
		if d := h.take(src); d != nil {
			h.merge(viaTake, d)
		}
		for _, d := range deltas {
			h.merge(viaOps, d)
		}
		h.merge(viaFull, src)
		if len(deltas) > 0 { // records report deltas through TakeDelta only
			requireSame(t, h, viaOps, viaFull, "mutator deltas vs full state")
		}
		requireSame(t, h, viaTake, viaFull, "TakeDelta deltas vs full state")
	})
}

// checkConvergence: n replicas doing random operations while their deltas
// are lost, duplicated and reordered, then anti-entropy (full-state merges
// around a ring), end with equal states and equal encodings.
func checkConvergence[S any](t *testing.T, h harness[S]) {
	forSeeds(t, 10, func(t *testing.T, rng *rand.Rand) {
		const n = 4
		envs, ft := newEnvs(n)
		states := make([]*S, n)
		for i := range states {
			states[i] = new(S)
		}
		type msg struct {
			to int
			d  []byte
		}
		var inflight []msg
		deliver := func(m msg) {
			d, err := h.decode(m.d)
			require.NoError(t, err)
			h.merge(states[m.to], d)
		}
		for range 200 {
			ft.ms += int64(rng.IntN(3))
			i := rng.IntN(n)
			h.op(rng, envs[i], states[i])
			if rng.IntN(3) == 0 {
				if d := h.take(states[i]); d != nil {
					b := h.encode(d)
					for j := range n {
						if j == i || rng.IntN(4) == 0 { // lost
							continue
						}
						inflight = append(inflight, msg{j, b})
						if rng.IntN(5) == 0 { // duplicated
							inflight = append(inflight, msg{j, b})
						}
					}
				}
			}
			for len(inflight) > 0 && rng.IntN(2) == 0 { // reordered
				k := rng.IntN(len(inflight))
				deliver(inflight[k])
				inflight = slices.Delete(inflight, k, k+1)
			}
		}
		for _, m := range inflight {
			if rng.IntN(2) == 0 {
				deliver(m)
			}
		}
		for _, s := range states { // out-of-order dots in the clouds
			requireRoundTrips(t, h, s)
		}
		// anti-entropy: full states around the ring, twice
		for range 2 {
			for i := range n {
				j := (i + 1) % n
				full, err := h.decode(h.encode(states[i]))
				require.NoError(t, err)
				h.merge(states[j], full)
			}
		}
		for i := 1; i < n; i++ {
			requireSame(t, h, states[0], states[i], "converged replicas")
		}
	})
}

// requireRoundTrips checks that s survives binary and JSON round trips
// exactly, and returns its binary encoding.
func requireRoundTrips[S any](t *testing.T, h harness[S], s *S) []byte {
	t.Helper()
	b := h.encode(s)
	back, err := h.decode(b)
	require.NoError(t, err)
	requireSame(t, h, s, back, "binary round trip")
	js := h.toJSON(s)
	back, err = h.fromJS(js)
	require.NoError(t, err, "%s", js)
	requireSame(t, h, s, back, "JSON round trip")
	return b
}

// checkCodecs: binary and JSON round trips preserve the state exactly.
func checkCodecs[S any](t *testing.T, h harness[S]) {
	forSeeds(t, 10, func(t *testing.T, rng *rand.Rand) {
		for _, s := range randomStates(rng, h, 3, 30) {
			b := requireRoundTrips(t, h, s)
			for cut := range b { // every truncation fails cleanly
				_, err := h.decode(b[:cut])
				if !h.prefixOK {
					require.Error(t, err)
				}
			}
		}
	})
}

// checkPruning: a replica leaves, the lowest survivor prunes it; no value
// changes, and merging stale pre-pruning states afterwards (the departed
// replica's own and the survivors') changes nothing.
func checkPruning[S any](t *testing.T, h harness[S]) {
	forSeeds(t, 10, func(t *testing.T, rng *rand.Rand) {
		const n = 4
		envs, ft := newEnvs(n)
		states := make([]*S, n)
		for i := range states {
			states[i] = new(S)
		}
		syncAll := func(live []int) {
			for range 2 {
				for _, i := range live {
					for _, j := range live {
						h.merge(states[j], states[i])
					}
				}
			}
		}
		randomOps := func(live []int, k int) {
			for range k {
				ft.ms += int64(rng.IntN(3))
				i := live[rng.IntN(len(live))]
				h.op(rng, envs[i], states[i])
				if rng.IntN(3) == 0 {
					h.merge(states[live[rng.IntN(len(live))]], states[i])
				}
			}
		}
		all := []int{0, 1, 2, 3}
		randomOps(all, 60)
		// stale copies taken before anyone learns the last updates
		var stale []*S
		for _, s := range states {
			stale = append(stale, h.clone(s))
		}
		syncAll(all)
		for _, s := range states {
			stale = append(stale, h.clone(s))
		}
		departed := envs[3].r // replica d leaves for good
		live := []int{0, 1, 2}
		before := h.value(states[0])
		peer := h.clone(states[1]) // synced: equal to states[0]
		st := h.gc(states[0], GCOptions{Self: envs[0].r, Departed: []ReplicaID{departed}})
		require.Zero(t, st.Deferred)
		require.Equal(t, before, h.value(states[0]), "pruning changed the value")
		if d := h.take(states[0]); d != nil {
			h.merge(peer, d)
		}
		requireSame(t, h, states[0], peer, "a peer that merged only the pruning delta")
		requireRoundTrips(t, h, states[0]) // with pruning markers
		syncAll(live)
		for _, i := range live {
			require.Equal(t, before, h.value(states[i]), "replica %d after adopting the pruning", i)
		}
		randomOps(live, 40)
		syncAll(live)
		for _, i := range live {
			requireSame(t, h, states[0], states[i], "synced survivors")
		}
		for _, i := range live {
			want := h.clone(states[i])
			for _, s := range stale {
				h.merge(states[i], s)
			}
			requireSame(t, h, want, states[i], "after merging stale pre-pruning states")
		}
		for _, i := range live {
			requireSame(t, h, states[0], states[i], "before forgetting markers")
		}
		// once every survivor acknowledged the pruning the marker goes
		for _, i := range live {
			h.gc(states[i], GCOptions{Self: envs[i].r, Forget: []ReplicaID{departed}})
		}
		syncAll(live)
		for _, i := range live {
			requireSame(t, h, states[0], states[i], "after forgetting markers")
		}
	})
}

func runAll[S any](t *testing.T, h harness[S]) {
	t.Run("laws", func(t *testing.T) { checkLaws(t, h) })
	t.Run("deltas", func(t *testing.T) { checkDeltas(t, h) })
	t.Run("convergence", func(t *testing.T) { checkConvergence(t, h) })
	t.Run("codecs", func(t *testing.T) { checkCodecs(t, h) })
	t.Run("pruning", func(t *testing.T) { checkPruning(t, h) })
}

// codecFuncs builds the harness's encoders from AppendTo/DecodeFrom-style
// functions.
func binaryJSON[S any](
	name string,
	app func(*S, []byte) []byte, dec func(*S, *Decoder),
	wj func(*S, *jwriter.Writer), rj func(*S, *jlexer.Lexer),
) (func(*S) []byte, func([]byte) (*S, error), func(*S) []byte, func([]byte) (*S, error)) {
	return func(s *S) []byte { return app(s, nil) },
		func(b []byte) (*S, error) {
			s := new(S)
			d := NewDecoder(b, name, 0)
			dec(s, d)
			d.End()
			return s, d.Err()
		},
		func(s *S) []byte {
			var w jwriter.Writer
			wj(s, &w)
			out, _ := w.BuildBytes()
			return out
		},
		func(b []byte) (*S, error) {
			s := new(S)
			l := jlexer.Lexer{Data: b}
			rj(s, &l)
			l.Consumed()
			return s, l.Error()
		}
}
