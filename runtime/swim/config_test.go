package swim

import (
	"strings"
	"testing"

	"github.com/dwsdk/distributed/gen/swimwire"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	kr, err := NewKeyring([]byte("0123456789abcdef"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string // substring of the error; "" means valid
	}{
		{"default", func(*Config) {}, ""},
		{"keyring", func(c *Config) { c.Keyring = kr }, ""},
		{"no name", func(c *Config) { c.Name = "" }, "Name is empty"},
		{"meta too large", func(c *Config) { c.Meta = make([]byte, MetaMaxSize+1) }, "Meta is 513 bytes"},
		{"timeout over interval", func(c *Config) { c.ProbeTimeout = 2 * c.ProbeInterval }, "ProbeTimeout"},
		// A member is reaped, and so no longer gossiped to, after
		// ReapTime: a shorter ReapTime used to cut GossipToTheDeadTime
		// short without a word.
		{"reap before gossip to the dead ends", func(c *Config) { c.ReapTime = c.GossipToTheDeadTime - 1 }, "ReapTime 14.999999999s is shorter than GossipToTheDeadTime 15s"},
		{"reap when gossip to the dead ends", func(c *Config) { c.ReapTime = c.GossipToTheDeadTime }, ""},
		{"negative gossip to the dead", func(c *Config) { c.GossipToTheDeadTime = -1 }, "GossipToTheDeadTime -1ns is negative"},
		{"small MTU", func(c *Config) { c.MTU = 100 }, "MTU 100"},
		// A zero Keyring has no primary key to seal with: the first
		// packet sent would index an empty slice (a panic on a timer
		// goroutine, i.e. a crashed process), not an error.
		{"empty keyring", func(c *Config) { c.Keyring = &Keyring{} }, "Keyring holds no key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultLocalConfig()
			c.Name = "a"
			tc.mod(&c)
			err := c.validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestAliveNewsFitsPackets: a member's alive news must fit in a packet, or
// it is never gossiped (and, queued, never leaves the queue). With the
// smallest MTU accepted, 576, and the largest metadata, 512 bytes, it did
// not: Create and UpdateMeta accepted it, and the news of such a member
// that arrives from one with a larger MTU was queued for good.
func TestAliveNewsFitsPackets(t *testing.T) {
	s := NewSim(1)
	small := func(name string, meta []byte) Config {
		c := DefaultLANConfig()
		c.Name, c.MTU, c.Meta = name, 576, meta
		return c
	}
	_, err := s.AddNode(small(strings.Repeat("n", 100), make([]byte, MetaMaxSize)))
	require.ErrorIs(t, err, ErrInvalidConfig)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorContains(t, err, "with 512 bytes of metadata its alive news takes")

	n, err := s.AddNode(small(strings.Repeat("b", 100), []byte("small")))
	require.NoError(t, err)
	defer n.Shutdown()
	require.ErrorIs(t, n.UpdateMeta(make([]byte, MetaMaxSize)), ErrTooLarge)
	require.Equal(t, "small", string(n.LocalNode().Meta), "unchanged")
	require.Zero(t, n.LocalNode().Incarnation)
	require.NoError(t, n.UpdateMeta(make([]byte, 400)), "what fits is fine")

	p, err := seal(nil, "", mustEncode(msgAlive, &swimwire.Alive{Node: strings.Repeat("g", 100), Addr: "10.9.9.9:7946", Meta: make([]byte, MetaMaxSize)}))
	require.NoError(t, err)
	n.mu.Lock()
	n.sys.reset()
	n.mu.Unlock()
	n.HandlePacket("10.9.9.9:7946", p)
	_, known := n.Member(strings.Repeat("g", 100))
	require.True(t, known, "learned")
	n.mu.Lock()
	defer n.mu.Unlock()
	require.Zero(t, n.sys.len(), "not queued: it can never be sent")
}
