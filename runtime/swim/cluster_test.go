package swim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dwsdk/distributed/gen/swimwire"
	"github.com/stretchr/testify/require"
)

// fastConfig is DefaultLocalConfig sped up for loopback tests.
func fastConfig(name string) Config {
	c := DefaultLocalConfig()
	c.Name = name
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 100 * time.Millisecond
	c.GossipInterval = 50 * time.Millisecond
	c.PushPullInterval = 2 * time.Second
	c.TCPTimeout = time.Second
	c.ReapTime = time.Minute
	return c
}

// eventLog collects the events of many nodes.
type eventLog struct {
	mu     sync.Mutex
	events []loggedEvent
	msgs   []loggedMsg
}

type loggedEvent struct {
	seenBy string
	Event
}

type loggedMsg struct {
	to string
	Message
}

func (l *eventLog) hook(c *Config) {
	name := c.Name
	c.Events = func(e Event) {
		l.mu.Lock()
		l.events = append(l.events, loggedEvent{name, e})
		l.mu.Unlock()
	}
	c.OnMessage = func(m Message) {
		l.mu.Lock()
		l.msgs = append(l.msgs, loggedMsg{name, m})
		l.mu.Unlock()
	}
}

// messages returns a copy of the messages received so far. Callers must
// not hold l.mu while calling into a Node: the hooks take l.mu with the
// node's lock held, so the opposite order deadlocks.
func (l *eventLog) messages() []loggedMsg {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.msgs)
}

func (l *eventLog) count(f func(loggedEvent) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if f(e) {
			n++
		}
	}
	return n
}

func startNode(t *testing.T, c Config) *Node {
	t.Helper()
	n, err := Create(c)
	require.NoError(t, err)
	return n
}

// startCluster starts size nodes and joins them through the first.
func startCluster(t *testing.T, size int, log *eventLog, mod func(*Config)) []*Node {
	t.Helper()
	nodes := make([]*Node, size)
	for i := range nodes {
		c := fastConfig(fmt.Sprintf("n%02d", i))
		if mod != nil {
			mod(&c)
		}
		if log != nil {
			log.hook(&c)
		}
		nodes[i] = startNode(t, c)
		t.Cleanup(func() { nodes[i].Shutdown() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range nodes[1:] {
		_, err := n.Join(ctx, nodes[0].LocalNode().Addr)
		require.NoError(t, err)
	}
	return nodes
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
}

func stateOf(n *Node, name string) State {
	m, ok := n.Member(name)
	if !ok {
		return 255
	}
	return m.State
}

// TestRequestRefused: a stream to an address where nothing listens fails
// with ErrRefused at once, not at the timeout.
func TestRequestRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	tr, err := NewNetTransport("127.0.0.1:0", nil)
	require.NoError(t, err)
	require.NoError(t, tr.Start(nopHandler{}))
	defer tr.Close()
	errc := make(chan error, 1)
	tr.Request(addr, []byte{0}, time.Hour, func(_ []byte, err error) { errc <- err })
	err = <-errc
	require.ErrorIs(t, err, ErrRefused)
	require.ErrorContains(t, err, addr)
}

type nopHandler struct{}

func (nopHandler) HandlePacket(string, []byte) {}
func (nopHandler) HandleRequest(string, []byte) ([]byte, error) {
	return nil, errors.New("nop")
}

func TestClusterUDP(t *testing.T) {
	log := &eventLog{}
	nodes := startCluster(t, 16, log, nil)
	eventually(t, 20*time.Second, "16 members everywhere", func() bool {
		for _, n := range nodes {
			if n.NumMembers() != 16 {
				return false
			}
		}
		return true
	})

	// A silently killed member is detected as failed by all.
	victim := nodes[15]
	require.NoError(t, victim.Shutdown())
	survivors := nodes[:15]
	eventually(t, 30*time.Second, "the killed member declared dead", func() bool {
		for _, n := range survivors {
			if stateOf(n, "n15") != StateDead {
				return false
			}
		}
		return true
	})
	// Its listener is gone, so the TCP pings of the probes that found it
	// dead were refused and cut those probes short.
	var refused uint64
	for _, n := range survivors {
		refused += n.Metrics().ProbesRefused
	}
	require.Positive(t, refused, "no probe of the killed member was refused")

	// A graceful leave is reported as a leave, not a failure.
	leaver := nodes[14]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, leaver.Leave(ctx))
	require.NoError(t, leaver.Shutdown())
	survivors = nodes[:14]
	eventually(t, 10*time.Second, "the leave seen by all", func() bool {
		for _, n := range survivors {
			if stateOf(n, "n14") != StateLeft {
				return false
			}
		}
		return true
	})
	require.Zero(t, log.count(func(e loggedEvent) bool { return e.Type == EventFailed && e.Member.Name == "n14" }),
		"a graceful leave was reported as a failure")
	require.Equal(t, 14, log.count(func(e loggedEvent) bool { return e.Type == EventLeave && e.Member.Name == "n14" }))

	// The killed member comes back (a new process at the same address,
	// incarnation 0), learns of its death in the join and refutes it.
	dead, _ := nodes[0].Member("n15")
	c := fastConfig("n15")
	c.BindAddr = dead.Addr
	log.hook(&c)
	back := startNode(t, c)
	t.Cleanup(func() { back.Shutdown() })
	_, err := back.Join(ctx, nodes[3].LocalNode().Addr)
	require.NoError(t, err)
	eventually(t, 20*time.Second, "the rejoined member alive everywhere", func() bool {
		for _, n := range survivors {
			if m, ok := n.Member("n15"); !ok || m.State != StateAlive || m.Addr != back.LocalNode().Addr {
				return false
			}
		}
		return true
	})
	require.Greater(t, back.LocalNode().Incarnation, dead.Incarnation, "the death was refuted with a higher incarnation")
	require.Positive(t, back.Metrics().Refutations)

	require.Zero(t, log.count(func(e loggedEvent) bool { return e.Type == EventFailed && e.Member.Name != "n15" }), "false deaths")
}

func TestClusterMessagesAndMeta(t *testing.T) {
	log := &eventLog{}
	nodes := startCluster(t, 4, log, nil)
	eventually(t, 10*time.Second, "4 members", func() bool {
		for _, n := range nodes {
			if n.NumMembers() != 4 {
				return false
			}
		}
		return true
	})
	require.NoError(t, nodes[1].Broadcast("k", []byte("to everyone")))
	small, large := []byte("direct"), bytes.Repeat([]byte("L"), 5000)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, nodes[0].SendTo(ctx, "n02", small))
	require.NoError(t, nodes[0].SendTo(ctx, "n03", large), "a message over the MTU goes over TCP")
	require.NoError(t, nodes[2].UpdateMeta([]byte("v2")))
	eventually(t, 10*time.Second, "messages and metadata delivered", func() bool {
		got := map[string]bool{}
		for _, m := range log.messages() {
			switch {
			case m.Broadcast && string(m.Payload) == "to everyone":
				got["b/"+m.to] = true
			case !m.Broadcast && m.to == "n02" && bytes.Equal(m.Payload, small):
				got["small"] = true
			case !m.Broadcast && m.to == "n03" && bytes.Equal(m.Payload, large):
				got["large"] = true
			}
		}
		for _, n := range nodes {
			if m, _ := n.Member("n02"); string(m.Meta) != "v2" {
				return false
			}
		}
		return got["small"] && got["large"] && got["b/n00"] && got["b/n02"] && got["b/n03"]
	})
	require.Equal(t, 3, log.count(func(e loggedEvent) bool { return e.Type == EventUpdate && e.Member.Name == "n02" }))
	require.ErrorIs(t, nodes[0].SendTo(ctx, "nobody", small), ErrUnknownNode)
	// Over what a stream carries: said up front, not a connection reset
	// by the receiver that refuses the frame.
	require.ErrorIs(t, nodes[0].SendTo(ctx, "n03", make([]byte, MaxStreamSize)), ErrTooLarge)
}

func TestWrongKeyCannotJoin(t *testing.T) {
	key := []byte("0123456789abcdef")
	nodes := startCluster(t, 3, nil, func(c *Config) {
		kr, err := NewKeyring(key)
		require.NoError(t, err)
		c.Keyring = kr
	})
	eventually(t, 10*time.Second, "3 members", func() bool { return nodes[2].NumMembers() == 3 })

	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"wrong key", func(c *Config) { c.Keyring, _ = NewKeyring([]byte("fedcba9876543210")) }},
		{"no key", func(c *Config) {}},
		{"right key wrong label", func(c *Config) { c.Keyring, _ = NewKeyring(key); c.Label = "other" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fastConfig("intruder")
			tc.mod(&c)
			in := startNode(t, c)
			defer in.Shutdown()
			before := nodes[0].Metrics().DroppedAuth
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, err := in.Join(ctx, nodes[0].LocalNode().Addr)
			require.ErrorIs(t, err, ErrNoSeeds)
			require.Greater(t, nodes[0].Metrics().DroppedAuth, before, "the rejected request is counted")
			_, known := nodes[0].Member("intruder")
			require.False(t, known)
			require.Equal(t, 1, in.NumMembers())
		})
	}
}

func TestLabelMismatchDroppedAndCounted(t *testing.T) {
	a := startNode(t, func() Config { c := fastConfig("a"); c.Label = "blue"; return c }())
	defer a.Shutdown()
	b := startNode(t, func() Config { c := fastConfig("b"); c.Label = "green"; return c }())
	defer b.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := b.Join(ctx, a.LocalNode().Addr)
	require.ErrorIs(t, err, ErrNoSeeds)
	require.Positive(t, a.Metrics().DroppedLabel, "the join request was dropped as mislabelled")
	before := a.Metrics().DroppedLabel
	p, err := seal(nil, "green", mustEncode(msgNack, &swimwire.Nack{SeqNo: 1}))
	require.NoError(t, err)
	a.HandlePacket("127.0.0.1:9", p)
	require.Equal(t, before+1, a.Metrics().DroppedLabel)
}

func TestKeyRotationNoFalseDeath(t *testing.T) {
	k1, k2 := []byte("0123456789abcdef"), []byte("abcdefghijklmnopabcdefghijklmnop")
	log := &eventLog{}
	var rings []*Keyring
	nodes := startCluster(t, 8, log, func(c *Config) {
		kr, err := NewKeyring(k1)
		require.NoError(t, err)
		rings = append(rings, kr)
		c.Keyring = kr
	})
	all := func() bool {
		for _, n := range nodes {
			if n.NumMembers() != 8 {
				return false
			}
		}
		return true
	}
	eventually(t, 10*time.Second, "8 members", all)
	pause := func() { // let a few probe rounds run between the steps
		target := nodes[0].Metrics().Probes + 2
		eventually(t, 10*time.Second, "probes", func() bool { return nodes[0].Metrics().Probes >= target })
	}
	for _, kr := range rings {
		require.NoError(t, kr.Install(k2))
	}
	pause()
	for _, kr := range rings {
		require.NoError(t, kr.Use(k2))
		pause()
	}
	for _, kr := range rings {
		require.NoError(t, kr.Remove(k1))
	}
	pause()
	require.True(t, all())
	require.Zero(t, log.count(func(e loggedEvent) bool { return e.Type == EventFailed }), "false death during key rotation")
	for _, n := range nodes {
		require.Zero(t, n.Metrics().DroppedAuth, "%s dropped packets during rotation", n.cfg.Name)
	}
}

// TestShutdownDuringJoinToSilentSeed: Shutdown while Join waits on a seed
// that accepted the stream and never answers ends the Join with
// ErrShutdown and leaves no goroutine behind (TestMain checks), instead of
// holding both until the TCP timeout (memberlist's Shutdown does not
// interrupt a push-pull in flight; serf#453 and others leaked around it).
func TestShutdownDuringJoinToSilentSeed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c
		}
	}()
	c := fastConfig("joiner")
	c.TCPTimeout = time.Hour
	n := startNode(t, c)
	joined := make(chan error, 1)
	go func() {
		_, err := n.Join(context.Background(), l.Addr().String())
		joined <- err
	}()
	conn := <-accepted
	defer conn.Close()
	require.NoError(t, n.Shutdown())
	select {
	case err := <-joined:
		require.ErrorIs(t, err, ErrShutdown)
	case <-time.After(10 * time.Second):
		t.Fatal("Join still waiting after Shutdown")
	}
}
