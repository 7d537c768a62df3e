package swim

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Config configures a Node. Start from DefaultLANConfig, DefaultWANConfig or
// DefaultLocalConfig and change what you need; Create validates it.
type Config struct {
	// Name is the member's unique name in the cluster. Required.
	Name string
	// BindAddr is the host:port the UDP and TCP listeners bind when Transport
	// is nil ("127.0.0.1:0" picks a free port). The member advertises it to
	// the others, except that an unspecified host (0.0.0.0, the LAN
	// default, or ::) is replaced by an interface address of that family,
	// private before routable, loopback last (for :: an IPv4 address when
	// no interface has an IPv6 one; for an empty host IPv4 first, as
	// memberlist): bind a specific IP to choose which.
	BindAddr string
	// Meta is the member's metadata, gossiped with it; at most MetaMaxSize
	// bytes, and little enough for its alive news (name, address and Meta)
	// to fit in a packet, which only a small MTU (under ~850) can prevent.
	Meta []byte

	// ProbeInterval is the time between failure-detection probes.
	ProbeInterval time.Duration
	// ProbeTimeout is how long to wait for a direct probe's ack before asking
	// IndirectChecks other members to probe. It should be about the 99th
	// percentile of the network's round-trip time.
	ProbeTimeout time.Duration
	// IndirectChecks is k, the number of members asked to probe on our behalf.
	IndirectChecks int
	// DisableTCPPings turns off the TCP fallback probe.
	DisableTCPPings bool

	// SuspicionMult scales the minimum suspicion timeout:
	// SuspicionMult * log10(max(1,n)) * ProbeInterval.
	SuspicionMult int
	// SuspicionMaxTimeoutMult is the maximum suspicion timeout as a multiple
	// of the minimum; confirmations from other members shorten it towards the
	// minimum (Lifeguard). 1 disables the shortening.
	SuspicionMaxTimeoutMult int

	// AwarenessMaxMultiplier bounds the local health score: probe interval and
	// timeout are stretched by up to this factor while the node seems
	// unhealthy (Lifeguard). 1 disables local health awareness.
	AwarenessMaxMultiplier int

	// GossipInterval is the time between gossip rounds; GossipNodes is the
	// fan-out per round.
	GossipInterval time.Duration
	GossipNodes    int
	// GossipToTheDeadTime is how long dead members still receive gossip so
	// that they can refute; at most ReapTime (Create rejects more: a
	// reaped member receives nothing).
	GossipToTheDeadTime time.Duration
	// RetransmitMult: each broadcast is sent RetransmitMult*ceil(log10(n+1)) times.
	RetransmitMult int

	// PushPullInterval is the time between full-state exchanges with a random
	// member; it grows slowly with the cluster size. 0 disables them.
	PushPullInterval time.Duration
	// TCPTimeout bounds a stream exchange (push-pull, fallback probe, direct
	// user message).
	TCPTimeout time.Duration

	// ReapTime is how long dead and left members stay in the member list
	// (so that their state keeps propagating) before they are forgotten,
	// name included (a minute in DefaultLANConfig). It must be at least
	// GossipToTheDeadTime. A member that comes
	// back afterwards is a new member; stale suspicions and deaths of it
	// are ignored, as they are for any unknown name. Broadcast origins
	// that are not members are forgotten ReapTime after their last
	// broadcast is, so the memory a member holds is bounded by the members
	// and origins of the last two ReapTimes.
	ReapTime time.Duration

	// MTU is the largest UDP payload built; messages are compounded into
	// packets up to it. Larger direct user messages go over TCP.
	MTU int
	// DisableCompression sends packets as they are instead of deflating
	// those of compressMin bytes or more. Members without compression
	// support drop the compressed ones: set it while such members remain.
	DisableCompression bool

	// Keyring, when set, enables AES-GCM encryption; it must hold a key
	// (NewKeyring), or Create fails.
	Keyring *Keyring
	// Label is the cluster label: authenticated as AES-GCM additional data
	// when encrypting, a plain prefix otherwise. Packets with another label
	// are dropped and counted.
	Label string

	// Logger receives diagnostics; nil means slog.Default().
	Logger *slog.Logger
	// Events is called for every membership change. It runs with the node's
	// lock held: it must not block or call methods of the Node; hand the
	// event to a goroutine or a buffered channel.
	Events func(Event)
	// OnMessage is called for every user broadcast and direct user message
	// received, with the same contract as Events. The payload is owned by the
	// callee.
	OnMessage func(Message)

	// Transport carries packets and streams. nil means UDP and TCP on BindAddr.
	Transport Transport
	// Clock schedules timers. nil means the wall clock.
	Clock Clock
	// Rand is the random source for probe order, member insertion, target
	// selection and timer staggering (AES-GCM nonces always come from
	// crypto/rand); nil seeds one from the runtime. The Node uses it under
	// its lock only: do not share one Source between Nodes running
	// concurrently.
	Rand rand.Source

	// names lets a simulation intern member names once for all its nodes.
	names *names
}

// MetaMaxSize is the largest node metadata accepted.
const MetaMaxSize = 512

// DefaultLANConfig returns memberlist's LAN timings: a good start for a
// cluster in one data centre.
func DefaultLANConfig() Config {
	return Config{
		BindAddr:                "0.0.0.0:7946",
		ProbeInterval:           time.Second,
		ProbeTimeout:            500 * time.Millisecond,
		IndirectChecks:          3,
		SuspicionMult:           4,
		SuspicionMaxTimeoutMult: 6,
		AwarenessMaxMultiplier:  8,
		GossipInterval:          200 * time.Millisecond,
		GossipNodes:             3,
		GossipToTheDeadTime:     30 * time.Second,
		RetransmitMult:          4,
		PushPullInterval:        30 * time.Second,
		TCPTimeout:              10 * time.Second,
		ReapTime:                time.Minute,
		MTU:                     1400,
	}
}

// DefaultWANConfig returns timings for members spread over a wide-area network.
func DefaultWANConfig() Config {
	c := DefaultLANConfig()
	c.ProbeInterval = 5 * time.Second
	c.ProbeTimeout = 3 * time.Second
	c.SuspicionMult = 6
	c.GossipInterval = 500 * time.Millisecond
	c.GossipNodes = 4
	c.GossipToTheDeadTime = 60 * time.Second
	c.PushPullInterval = 60 * time.Second
	c.TCPTimeout = 30 * time.Second
	c.ReapTime = 5 * time.Minute
	return c
}

// DefaultLocalConfig returns timings for members on one host or a fast,
// reliable network (tests, loopback).
func DefaultLocalConfig() Config {
	c := DefaultLANConfig()
	c.BindAddr = "127.0.0.1:0"
	c.ProbeInterval = time.Second
	c.ProbeTimeout = 200 * time.Millisecond
	c.SuspicionMult = 3
	c.GossipInterval = 100 * time.Millisecond
	c.GossipToTheDeadTime = 15 * time.Second
	c.PushPullInterval = 15 * time.Second
	c.TCPTimeout = time.Second
	c.ReapTime = 30 * time.Second
	return c
}

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("swim: invalid config")

func (c *Config) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, a...))
	}
	switch {
	case c.Name == "":
		return bad("Name is empty")
	case len(c.Name) > 255:
		return bad("Name is %d bytes, at most 255", len(c.Name))
	case len(c.Meta) > MetaMaxSize:
		return bad("Meta is %d bytes, at most %d", len(c.Meta), MetaMaxSize)
	case c.ProbeInterval <= 0:
		return bad("ProbeInterval %v must be positive", c.ProbeInterval)
	case c.ProbeTimeout <= 0 || c.ProbeTimeout > c.ProbeInterval:
		return bad("ProbeTimeout %v must be positive and at most ProbeInterval %v", c.ProbeTimeout, c.ProbeInterval)
	case c.IndirectChecks < 0:
		return bad("IndirectChecks %d is negative", c.IndirectChecks)
	case c.SuspicionMult < 1:
		return bad("SuspicionMult %d must be at least 1", c.SuspicionMult)
	case c.SuspicionMaxTimeoutMult < 1:
		return bad("SuspicionMaxTimeoutMult %d must be at least 1", c.SuspicionMaxTimeoutMult)
	case c.AwarenessMaxMultiplier < 1:
		return bad("AwarenessMaxMultiplier %d must be at least 1", c.AwarenessMaxMultiplier)
	case c.GossipInterval <= 0 || c.GossipNodes < 1:
		return bad("GossipInterval %v and GossipNodes %d must be positive", c.GossipInterval, c.GossipNodes)
	case c.RetransmitMult < 1:
		return bad("RetransmitMult %d must be at least 1", c.RetransmitMult)
	case c.PushPullInterval < 0:
		return bad("PushPullInterval %v is negative", c.PushPullInterval)
	case c.TCPTimeout <= 0:
		return bad("TCPTimeout %v must be positive", c.TCPTimeout)
	case c.GossipToTheDeadTime < 0:
		return bad("GossipToTheDeadTime %v is negative", c.GossipToTheDeadTime)
	case c.ReapTime <= 0:
		return bad("ReapTime %v must be positive", c.ReapTime)
	case c.ReapTime < c.GossipToTheDeadTime:
		// A reaped member is no longer a gossip target: a shorter ReapTime
		// would silently cut the gossip that lets a member wrongly
		// declared dead hear of it and refute.
		return bad("ReapTime %v is shorter than GossipToTheDeadTime %v: dead members would be forgotten before they stop receiving gossip", c.ReapTime, c.GossipToTheDeadTime)
	case c.MTU < 576 || c.MTU > 65000:
		return bad("MTU %d outside [576, 65000]", c.MTU)
	case len(c.Label) > 255:
		return bad("Label is %d bytes, at most 255", len(c.Label))
	case c.Keyring != nil && c.Keyring.empty():
		return bad("Keyring holds no key: build it with NewKeyring")
	}
	return nil
}
