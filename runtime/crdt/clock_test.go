package crdt

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestVersionVectorCompare(t *testing.T) {
	tests := []struct {
		name string
		a, b VersionVector
		want Ordering
	}{
		{"both empty", nil, VersionVector{}, Equal},
		{"same", VersionVector{"a": 2, "b": 1}, VersionVector{"a": 2, "b": 1}, Equal},
		{"zero entry is absent", VersionVector{"a": 2, "b": 0}, VersionVector{"a": 2}, Equal},
		{"before", VersionVector{"a": 1}, VersionVector{"a": 2}, Before},
		{"before, missing replica", VersionVector{"a": 2}, VersionVector{"a": 2, "b": 1}, Before},
		{"after", VersionVector{"a": 3, "b": 1}, VersionVector{"a": 2}, After},
		{"concurrent", VersionVector{"a": 3}, VersionVector{"a": 2, "b": 1}, Concurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.a.Compare(tt.b))
		})
	}
}

func TestVersionVectorMergeAndMin(t *testing.T) {
	a := VersionVector{"a": 3, "b": 1}
	a.Merge(VersionVector{"b": 4, "c": 2})
	require.Equal(t, VersionVector{"a": 3, "b": 4, "c": 2}, a)
	require.Equal(t, After, a.Compare(VersionVector{"b": 4}))
	require.Equal(t, VersionVector{"b": 1}, Min(VersionVector{"a": 3, "b": 1}, VersionVector{"b": 4, "c": 2}))
	require.True(t, a.Contains(Dot{"c", 2}))
	require.False(t, a.Contains(Dot{"c", 3}))
	require.False(t, a.Contains(Dot{"c", 0}))
}

func TestCausalContextCompactsAsGapsFill(t *testing.T) {
	var c CausalContext
	c.Add(Dot{"a", 3})
	c.Add(Dot{"a", 5})
	c.Add(Dot{"a", 2})
	require.Equal(t, 3, c.CloudSize(), "nothing folds while a:1 is missing")
	require.True(t, c.Contains(Dot{"a", 5}))
	require.False(t, c.Contains(Dot{"a", 4}))
	c.Add(Dot{"a", 1})
	require.Equal(t, VersionVector{"a": 3}, c.Version())
	require.Equal(t, 1, c.CloudSize(), "a:5 waits for a:4")
	require.Equal(t, Dot{"a", 6}, c.Next("a"))
	var o CausalContext
	o.Add(Dot{"a", 1})
	o.Add(Dot{"a", 2})
	o.Add(Dot{"a", 3})
	o.Add(Dot{"a", 4})
	c.Merge(&o)
	require.Equal(t, VersionVector{"a": 5}, c.Version())
	require.Zero(t, c.CloudSize())
}

type manualClock struct{ t time.Time }

func (m *manualClock) now() time.Time { return m.t }

func TestHLC(t *testing.T) {
	mc := &manualClock{t: time.UnixMilli(1_000_000)}
	c := NewClock(ClockConfig{Physical: mc.now, MaxOffset: 100 * time.Millisecond})

	t1 := c.Now()
	require.Equal(t, uint64(1_000_000), t1.Physical())
	require.Equal(t, uint16(0), t1.Logical())
	t2 := c.Now() // same millisecond: logical ticks
	require.Equal(t, uint64(1_000_000), t2.Physical())
	require.Equal(t, uint16(1), t2.Logical())

	mc.t = mc.t.Add(-time.Second) // wall clock steps back: readings never do
	t3 := c.Now()
	require.Greater(t, t3, t2)

	// a remote timestamp within the max offset is adopted
	mc.t = time.UnixMilli(1_000_000)
	remote := MakeTimestamp(1_000_050, 7)
	got, err := c.Update(remote)
	require.NoError(t, err)
	require.Greater(t, got, remote)
	require.Greater(t, c.Now(), remote)

	// one further ahead than the max offset is refused and not adopted
	before := c.Last()
	_, err = c.Update(MakeTimestamp(1_000_101, 0))
	require.True(t, errors.Is(err, ErrClockOffset), "%v", err)
	require.Equal(t, before, c.Last())

	// a logical overflow carries into the physical part
	mc.t = time.UnixMilli(2_000_000)
	_, err = c.Update(MakeTimestamp(2_000_000, 0xFFFF))
	require.NoError(t, err)
	require.Equal(t, uint64(2_000_001), c.Last().Physical())
}

func TestLWWTieBreaksOnReplica(t *testing.T) {
	var a, b LWWRegister[string]
	a.Set("a", 10, "from-a")
	b.Set("b", 10, "from-b")
	x, y := mergeBothWays(&a, &b)
	require.Equal(t, "from-b", x.Get())
	require.True(t, x.Equal(y))
	// an older write loses
	x.Set("c", 9, "late")
	require.Equal(t, "from-b", x.Get())
}

// Two writes of one replica with the same timestamp (Set takes the caller's
// timestamps): the larger value stays, and the losing write's delta must say
// so. It once carried the losing value under the winner's (timestamp,
// writer), so a peer that merged only that delta kept the other value for
// ever.
func TestLWWSetThatLosesReturnsTheWinner(t *testing.T) {
	var a, peer LWWRegister[string]
	a.Set("a", 10, "second") // its delta is lost
	peer.Merge(a.Set("a", 10, "first"))
	require.Equal(t, "second", a.Get())
	require.True(t, peer.Equal(&a), "peer holds %q, the writer %q", peer.Get(), a.Get())
	// an older write's delta is the current write as well, and a losing
	// write leaves nothing for TakeDelta
	require.NotNil(t, a.TakeDelta())
	d := a.Set("b", 9, "older")
	require.Equal(t, "second", d.Get())
	require.Nil(t, a.TakeDelta())
}

// A write made after merging a write from a replica whose clock runs ahead
// (within MaxOffset) must win: it follows what it read. SetNow once took the
// local clock's reading alone, so the later write got the smaller timestamp
// and was dropped on the spot.
func TestLWWSetNowFollowsTheWriteItRead(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	ahead := NewClock(ClockConfig{Physical: func() time.Time { return now.Add(300 * time.Millisecond) }})
	local := NewClock(ClockConfig{Physical: func() time.Time { return now }})
	var a, b LWWRegister[string]
	b.Merge(a.SetNow("a", ahead, "from-a"))
	b.SetNow("b", local, "from-b")
	require.Equal(t, "from-b", b.Get(), "the write made after reading from-a lost to it")
	ts, _ := b.Timestamp()
	require.Greater(t, local.Now(), ts, "the clock moved past the write it adopted")

	// a timestamp beyond MaxOffset is not adopted: the clock stays sane and
	// the local write loses to it
	far := NewClock(ClockConfig{Physical: func() time.Time { return now.Add(time.Hour) }})
	var c LWWRegister[string]
	c.Merge(a.SetNow("a", far, "far-future"))
	c.SetNow("c", local, "local")
	require.Equal(t, "far-future", c.Get())
	require.Less(t, local.Last().Physical(), uint64(now.Add(time.Second).UnixMilli()))
}

func TestMVRegisterKeepsConcurrentWrites(t *testing.T) {
	var a, b MVRegister[string]
	a.Set("a", "x")
	b.Merge(&a)
	a.Set("a", "y")
	b.Set("b", "z")
	a.Merge(&b)
	require.Equal(t, []string{"y", "z"}, a.Values())
	a.Set("a", "w") // replaces both: it observed them
	b.Merge(&a)
	require.Equal(t, []string{"w"}, b.Values())
}

func TestORSetAddWinsAndLeavesNoTombstone(t *testing.T) {
	var a, b ORSet[string]
	a.Add("a", "x")
	b.Merge(&a)
	b.Remove("x")   // b removes the add it observed
	a.Add("a", "x") // concurrently a adds x again
	a.Merge(&b)
	b.Merge(&a)
	require.True(t, a.Contains("x"), "the unobserved add wins")
	require.True(t, a.Equal(&b))

	a.Remove("x")
	b.Merge(&a)
	require.False(t, b.Contains("x"))
	require.Zero(t, b.Len())
	require.Zero(t, b.TombstoneCount(), "removal leaves nothing but the context")
	require.Equal(t, VersionVector{"a": 2}, b.Context())
}

func TestORMapConcurrentUpdateAndRemove(t *testing.T) {
	var a, b ORMap[string, PNCounter]
	a.Update("a", "rows", func(c *PNCounter) { c.Add("a", 10) })
	b.Merge(&a)
	a.Remove("rows")                                            // a removes what it saw
	b.Update("b", "rows", func(c *PNCounter) { c.Add("b", 5) }) // b concurrently updates
	a.Merge(&b)
	b.Merge(&a)
	require.True(t, a.Equal(&b))
	require.True(t, a.Contains("rows"), "update wins over a concurrent remove")
	require.Equal(t, int64(15), a.Get("rows").Value(), "with the updater's whole value")

	// removed then re-added: the old content does not come back, even when
	// a stale copy holding it is merged later
	stale := a.Clone()
	a.Remove("rows")
	a.Update("a", "rows", func(c *PNCounter) { c.Add("a", 1) })
	a.Merge(stale)
	require.Equal(t, int64(1), a.Get("rows").Value())
}

// mergeBothWays returns a merged with b and b merged with a (a and b stay
// as they were): registers that converge hold equal results whatever the
// order.
func mergeBothWays[T comparable](a, b *LWWRegister[T]) (ab, ba *LWWRegister[T]) {
	ab, ba = a.Clone(), b.Clone()
	ab.Merge(b)
	ba.Merge(a)
	return ab, ba
}
