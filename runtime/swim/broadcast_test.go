package swim

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/dwsdk/distributed/gen/swimwire"
	"github.com/stretchr/testify/require"
)

func TestQueueNewerNewsInvalidatesOlder(t *testing.T) {
	var q queue
	done := make(chan struct{})
	q.push("a", []byte("old-a"), done)
	q.push("b", []byte("b"), nil)
	q.push("a", []byte("new-a"), nil)
	require.Equal(t, 2, q.len())
	select {
	case <-done:
	default:
		t.Fatal("the invalidated broadcast's done channel was not closed")
	}
	got, _ := q.take(nil, 1000, 10, 10, "a", 1)
	require.Equal(t, [][]byte{[]byte("new-a"), []byte("b")}, got, "newest first")
}

func TestQueueFewestTransmittedFirstAndLimit(t *testing.T) {
	var q queue
	q.push("", []byte("1111"), nil)
	got, used := q.take(nil, 4, 2, 10, "a", 1) // room for one
	require.Equal(t, [][]byte{[]byte("1111")}, got)
	require.Equal(t, 4, used)
	q.push("", []byte("2222"), nil)
	got, _ = q.take(nil, 4, 2, 10, "b", 2)
	require.Equal(t, [][]byte{[]byte("2222")}, got, "the untransmitted message goes before the once-transmitted one")
	got, _ = q.take(nil, 100, 2, 10, "c", 3)
	require.Len(t, got, 2)
	require.Zero(t, q.len(), "both reached the retransmit limit")
}

func TestQueueSamePacketTakesOnce(t *testing.T) {
	var q queue
	q.push("", []byte("x"), nil)
	got, _ := q.take(nil, 100, 10, 1, "a", 7)
	got, _ = q.take(got, 100, 10, 1, "a", 7)
	require.Len(t, got, 1)
}

// TestQueueEveryMemberBeforeAnyTwice: a message goes to each of the other
// members once before it goes to any of them again, and the retransmit
// limit still counts every transmission.
func TestQueueEveryMemberBeforeAnyTwice(t *testing.T) {
	var q queue
	q.push("", []byte("x"), nil)
	sent := func(addr string, stamp uint64) bool {
		got, _ := q.take(nil, 100, 5, 3, addr, stamp)
		return len(got) == 1
	}
	require.True(t, sent("a", 1))
	require.False(t, sent("a", 2), "a has it; b and c do not yet")
	require.True(t, sent("b", 3))
	require.False(t, sent("a", 4))
	require.False(t, sent("b", 5))
	require.True(t, sent("c", 6))
	require.True(t, sent("b", 7), "every member had it: the next round starts")
	require.False(t, sent("b", 8))
	require.True(t, sent("a", 9))
	require.Zero(t, q.len(), "5 transmissions: at the retransmit limit")
}

// newsyNode returns a node of a 1,000-member cluster with far more
// membership news queued than fits a packet; the caller holds its lock
// until the cleanup.
func newsyNode(t *testing.T) *Node {
	s := NewSim(1)
	n, err := s.AddNode(func() Config { c := DefaultLANConfig(); c.Name = "a"; return c }())
	require.NoError(t, err)
	n.mu.Lock()
	t.Cleanup(func() { n.mu.Unlock(); n.Shutdown() })
	n.live = 1000
	for i := 0; i < 500; i++ {
		n.sys.push(fmt.Sprint("m", i), make([]byte, 50), nil)
	}
	return n
}

func TestPiggybackUserNotStarved(t *testing.T) {
	n := newsyNode(t)
	n.user.push("", []byte("user-news"), nil)
	msgs := n.piggyback(nil, "10.0.0.9:7946", 1300)
	require.Contains(t, msgs, []byte("user-news"))
	size := 0
	for _, m := range msgs {
		size += len(m)
	}
	require.LessOrEqual(t, size, 1300)
	require.Greater(t, size, 1200, "the room left by user news goes to membership news")
}

// TestPiggybackLargeUserNotStarved: a user broadcast larger than half a
// packet gets in while membership news keeps every packet full. It used to
// be skipped by the users' half and crowded out by the news until the
// news ran dry (hundreds of packets in a 1,000-member cluster after a
// burst of changes).
func TestPiggybackLargeUserNotStarved(t *testing.T) {
	n := newsyNode(t)
	big := bytes.Repeat([]byte("U"), 900)
	n.user.push("", big, nil)
	var withBig, withNews int
	for i := 0; i < 10; i++ {
		msgs := n.piggyback(nil, fmt.Sprintf("10.0.0.%d:7946", i), 1300)
		for _, m := range msgs {
			if bytes.Equal(m, big) {
				withBig++
			} else {
				withNews++
			}
		}
	}
	require.Equal(t, 5, withBig, "every other packet")
	require.Greater(t, withNews, 5*1300/50, "the news still fills the other packets")
}

// TestRelayOnlyWhatFits: a member with a smaller MTU than the originator's
// delivers a broadcast too large for its own packets without queueing it
// for relay; queued, it could never be taken, so it stayed in the queue
// for good, one more for every such broadcast.
func TestRelayOnlyWhatFits(t *testing.T) {
	s := NewSim(1)
	c := DefaultLANConfig()
	c.Name, c.MTU = "a", 600
	var got []Message
	c.OnMessage = func(m Message) { got = append(got, m) }
	n, err := s.AddNode(c)
	require.NoError(t, err)
	defer n.Shutdown()
	for i, size := range []int{500, 1000} {
		msg := mustEncode(msgUser, &swimwire.UserMsg{Payload: make([]byte, size), Origin: "big-mtu", Seq: uint64(i + 1)})
		p, err := seal(nil, "", msg)
		require.NoError(t, err)
		n.HandlePacket("10.9.9.9:1", p)
	}
	require.Len(t, got, 2, "both delivered")
	n.mu.Lock()
	defer n.mu.Unlock()
	require.Equal(t, 1, n.user.len(), "only the one that fits is relayed")
}
