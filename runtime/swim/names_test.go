package swim

import (
	"fmt"
	"testing"
	"time"

	"github.com/dwsdk/distributed/gen/swimwire"
	"github.com/stretchr/testify/require"
)

// deliver hands n one unencrypted packet of msgs, as from a stranger.
func deliver(t *testing.T, n *Node, msgs ...[]byte) {
	t.Helper()
	p, err := seal(nil, "", compound(nil, msgs))
	require.NoError(t, err)
	n.HandlePacket("10.9.9.9:1", p)
}

// TestForgottenMembersReleaseTheirNames: a member that joined and left,
// and a broadcast origin (without encryption, any name can be claimed),
// are forgotten after ReapTime, name included; the name table used to keep
// every name ever heard. A forgotten member that comes back is a new
// member, and stale suspicions or deaths of it do not bring it back.
func TestForgottenMembersReleaseTheirNames(t *testing.T) {
	s := NewSim(testSeed(t, 11))
	cfg := DefaultLANConfig()
	cfg.ReapTime = 20 * time.Second
	cfg.GossipToTheDeadTime = 15 * time.Second // at most ReapTime
	var joined []string
	delivered := 0
	ca := cfg
	ca.Name = "a"
	ca.Events = func(e Event) {
		if e.Type == EventJoin {
			joined = append(joined, e.Member.Name)
		}
	}
	ca.OnMessage = func(Message) { delivered++ }
	a, err := s.addNode(ca, false) // its own name table, as outside a Sim
	require.NoError(t, err)
	defer a.Shutdown()
	cb := cfg
	cb.Name = "b"
	b, err := s.AddNode(cb)
	require.NoError(t, err)
	defer b.Shutdown()
	s.Join(a, b.tr.LocalAddr())
	require.True(t, s.RunUntil(time.Minute, allSee([]*Node{a, b}, 2)))

	held := func() (names, slots int) {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.names.len(), len(a.index)
	}
	const rounds, perRound = 10, 50
	for r := range rounds {
		for i := range perRound {
			name := fmt.Sprintf("m%d-%d", r, i)
			deliver(t, a,
				mustEncode(msgAlive, &swimwire.Alive{Incarnation: 1, Node: name, Addr: fmt.Sprintf("10.9.%d.%d:7946", r, i)}),
				mustEncode(msgDead, &swimwire.Dead{Incarnation: 1, Node: name, From: name}),
				mustEncode(msgUser, &swimwire.UserMsg{Payload: []byte("x"), Origin: "spoof-" + name, Seq: 1}))
		}
		s.Run(time.Second)
		names, _ := held()
		require.Equal(t, 2+2*perRound, names, "round %d: just heard of", r)
		s.Run(3 * cfg.ReapTime)
		names, slots := held()
		require.Equal(t, 2, names, "round %d: names held besides a's and b's", r)
		require.LessOrEqual(t, slots, 2+2*perRound, "round %d: index slots", r)
	}
	require.Equal(t, rounds*perRound, delivered, "each broadcast delivered once, b's relays included")

	// Stale news of a forgotten member is about nobody.
	gone := "m0-0"
	deliver(t, a,
		mustEncode(msgSuspect, &swimwire.Suspect{Incarnation: 1, Node: gone, From: "b"}),
		mustEncode(msgDead, &swimwire.Dead{Incarnation: 1, Node: gone, From: "b"}))
	req, err := seal(nil, "", mustEncode(msgPushPull, &swimwire.PushPull{Nodes: []swimwire.PushNodeState{
		{Name: gone, Addr: "10.9.0.0:7946", Incarnation: 1, State: swimwire.StateDead},
		{Name: "m0-1", Addr: "10.9.0.1:7946", Incarnation: 1, State: swimwire.StateSuspect},
		{Name: "m0-2", Addr: "10.9.0.2:7946", Incarnation: 1, State: swimwire.StateLeft},
	}}))
	require.NoError(t, err)
	_, err = a.HandleRequest("10.9.9.9:1", req)
	require.NoError(t, err)
	for _, name := range []string{gone, "m0-1", "m0-2"} {
		_, known := a.Member(name)
		require.False(t, known, "%s came back from stale news", name)
	}

	// Coming back, it is a member again, under its own name.
	deliver(t, a, mustEncode(msgAlive, &swimwire.Alive{Incarnation: 2, Node: gone, Addr: "10.9.0.0:7946"}))
	m, known := a.Member(gone)
	require.True(t, known)
	require.Equal(t, gone, m.Name)
	require.Equal(t, StateAlive, m.State)
	require.Equal(t, uint32(2), m.Incarnation)
	require.Equal(t, 2, countOf(joined, gone), "joined twice")
	mb, known := a.Member("b")
	require.True(t, known)
	require.Equal(t, StateAlive, mb.State)
	require.Equal(t, b.tr.LocalAddr(), mb.Addr)
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestSeenBroadcastsKeepMembersFloors: a member's broadcasts stay
// deduplicated past ReapTime (its floor is kept); another origin's are
// forgotten ReapTime after they were floored, and only then.
func TestSeenBroadcastsKeepMembersFloors(t *testing.T) {
	var s seenBroadcasts
	var forgotten []uint32
	member := func(origin uint32) bool { return origin == 1 }
	forget := func(origin uint32) { forgotten = append(forgotten, origin) }
	require.True(t, s.first(bcastID{1, 10}, 0))
	require.True(t, s.first(bcastID{2, 10}, 0))
	require.False(t, s.first(bcastID{2, 10}, 1))

	s.expire(5, 10, member, forget) // both floored at 10
	require.Empty(t, forgotten)
	require.False(t, s.first(bcastID{1, 10}, 11))
	require.False(t, s.first(bcastID{2, 9}, 11), "under the floor")
	require.True(t, s.first(bcastID{2, 11}, 11))

	s.expire(15, 20, member, forget) // 2 floored at 11 from 20 on
	require.Empty(t, forgotten)
	require.False(t, s.first(bcastID{2, 11}, 21))
	s.expire(20, 30, member, forget)
	require.Empty(t, forgotten, "floored at the cutoff: kept")
	s.expire(25, 35, member, forget)
	require.Equal(t, []uint32{2}, forgotten)
	require.True(t, s.holds(1))
	require.False(t, s.holds(2))
	require.False(t, s.first(bcastID{1, 10}, 41), "a member's floor is kept")
	require.True(t, s.first(bcastID{2, 10}, 41), "another origin is forgotten")
}
