package swim

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPickAdvertiseIP(t *testing.T) {
	ips := func(s ...string) []netip.Addr {
		out := make([]netip.Addr, len(s))
		for i, a := range s {
			out[i] = netip.MustParseAddr(a)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		addrs []netip.Addr
		fam   ipFamily
		want  string // "" means none
	}{
		{"private v4 first", ips("127.0.0.1", "fd00::2", "192.0.2.2", "10.1.2.3"), preferIPv4, "10.1.2.3"},
		{"routable v4 before v6", ips("::1", "fd00::2", "127.0.0.1", "192.0.2.2"), preferIPv4, "192.0.2.2"},
		{"private v6 before loopback", ips("127.0.0.1", "fe80::1", "2001:db8::1", "fd00::2"), preferIPv4, "fd00::2"},
		{"v4 only skips v6", ips("fd00::2", "127.0.0.1"), onlyIPv4, "127.0.0.1"},
		{"loopback alone", ips("::1", "127.0.0.1"), preferIPv4, "127.0.0.1"},
		{"link-local never", ips("fe80::1", "169.254.1.1"), preferIPv4, ""},
		{"nothing", nil, preferIPv4, ""},
		{"v6: private v6 first", ips("10.1.2.3", "192.0.2.2", "::1", "2001:db8::1", "fd00::2"), preferIPv6, "fd00::2"},
		{"v6: routable v6 before v4", ips("10.1.2.3", "2001:db8::1", "127.0.0.1"), preferIPv6, "2001:db8::1"},
		{"v6: v4 before loopback", ips("::1", "fe80::1", "192.0.2.2"), preferIPv6, "192.0.2.2"},
		{"v6: loopback alone", ips("127.0.0.1", "::1"), preferIPv6, "::1"},
		{"v6: link-local never", ips("fe80::1"), preferIPv6, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pickAdvertiseIP(tc.addrs, tc.fam)
			if tc.want == "" {
				require.False(t, ok, "picked %v", got)
				return
			}
			require.True(t, ok)
			require.Equal(t, tc.want, got.String())
		})
	}
}

// TestBindUnspecifiedAdvertisesInterface: a member bound to 0.0.0.0 (the
// LAN default) must not gossip 0.0.0.0 or :: as its address, which every
// other host would take for itself; it advertises an interface address of
// the family it bound, when the host has one, on the bound port, and
// members reach it there. Bound to ::, it used to advertise IPv4 first.
func TestBindUnspecifiedAdvertisesInterface(t *testing.T) {
	for _, bind := range []string{"0.0.0.0:0", "[::]:0"} {
		t.Run(bind, func(t *testing.T) {
			c := fastConfig("wild")
			c.BindAddr = bind
			a := startNode(t, c)
			defer a.Shutdown()
			ap, err := netip.ParseAddrPort(a.LocalNode().Addr)
			require.NoError(t, err)
			require.False(t, ap.Addr().IsUnspecified(), "advertises %v", ap)
			require.NotZero(t, ap.Port())
			want4 := bind == "0.0.0.0:0" || !hostHasIPv6(t)
			require.Equal(t, want4, ap.Addr().Is4(), "bound %s, advertises %v", bind, ap)
			joinAndProbe(t, a, ap.Addr().Is4())
		})
	}
}

// TestIPv6LoopbackMembers: members bound to [::1] advertise it and reach
// each other.
func TestIPv6LoopbackMembers(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	c := fastConfig("wild")
	c.BindAddr = "[::1]:0"
	a := startNode(t, c)
	defer a.Shutdown()
	ap, err := netip.ParseAddrPort(a.LocalNode().Addr)
	require.NoError(t, err)
	require.Equal(t, netip.IPv6Loopback(), ap.Addr())
	joinAndProbe(t, a, false)
}

// hostHasIPv6 reports whether an interface has an IPv6 address a member
// may advertise (not loopback, not link-local).
func hostHasIPv6(t *testing.T) bool {
	addrs, err := upInterfaceAddrs()
	require.NoError(t, err)
	for _, ip := range addrs {
		if ip.Is6() && (ip.IsPrivate() || ip.IsGlobalUnicast()) {
			return true
		}
	}
	return false
}

// joinAndProbe has a member "b", on the IPv4 or IPv6 loopback, join the
// member "wild" and waits until they probe each other successfully.
func joinAndProbe(t *testing.T, wild *Node, v4 bool) {
	t.Helper()
	c := fastConfig("b")
	if !v4 {
		c.BindAddr = "[::1]:0"
	}
	b := startNode(t, c)
	defer b.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr := wild.LocalNode().Addr
	_, err := b.Join(ctx, addr)
	require.NoError(t, err)
	m, ok := b.Member("wild")
	require.True(t, ok)
	require.Equal(t, addr, m.Addr)
	eventually(t, 10*time.Second, "wild and b probe each other", func() bool {
		return b.Metrics().Probes > 0 && wild.Metrics().Probes > 0 &&
			stateOf(wild, "b") == StateAlive && stateOf(b, "wild") == StateAlive
	})
}

// TestReadFrameAllocatesWhatArrives: a length prefix is a claim, not a
// size to allocate up front: a peer announcing the largest frame and
// sending 10 bytes used to cost a 32 MiB allocation per connection.
func TestReadFrameAllocatesWhatArrives(t *testing.T) {
	claim := binary.BigEndian.AppendUint32(nil, MaxStreamSize)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readFrame(bytes.NewReader(append(claim, make([]byte, 10)...)))
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.ErrorContains(t, err, fmt.Sprintf("stream frame of %d bytes ends after 10", MaxStreamSize))
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))

	whole := append(binary.BigEndian.AppendUint32(nil, 5), "hello"...)
	got, err := readFrame(bytes.NewReader(whole))
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))
}

// TestInboundStreamsBounded: a transport serves at most maxInboundStreams
// streams at once and turns the next away at once. Streams were served
// without bound, each reading up to MaxStreamSize bytes before anything
// authenticates them: peers stacking slow streams (or anyone who can reach
// the port) cost unbounded memory and goroutines (memberlist caps
// concurrent push-pulls, hashicorp/memberlist#158).
func TestInboundStreamsBounded(t *testing.T) {
	tr, err := NewNetTransport("127.0.0.1:0", nil)
	require.NoError(t, err)
	require.NoError(t, tr.Start(nopHandler{}))
	defer tr.Close()
	for range maxInboundStreams { // streams that send nothing and hold their slot
		c, err := net.Dial("tcp", tr.LocalAddr())
		require.NoError(t, err)
		defer c.Close()
	}
	eventually(t, 10*time.Second, "every held stream being served", func() bool {
		return len(tr.inbound) == maxInboundStreams
	})
	other, err := NewNetTransport("127.0.0.1:0", nil)
	require.NoError(t, err)
	require.NoError(t, other.Start(nopHandler{}))
	defer other.Close()
	errc := make(chan error, 1)
	other.Request(tr.LocalAddr(), []byte{0}, time.Hour, func(_ []byte, err error) { errc <- err })
	require.ErrorContains(t, <-errc, "transport busy")
}

// TestStreamOverMaxSizeFailsClearly: a stream message over MaxStreamSize
// (a push-pull of some 60,000 members with large metadata) fails at once
// with ErrTooLarge instead of being sent whole and refused by a receiver
// that just closed the connection ("read reply: EOF"); a receiver refusing
// one says why (memberlist#252 asked for the same about its push-pull
// limit).
func TestStreamOverMaxSizeFailsClearly(t *testing.T) {
	tr, err := NewNetTransport("127.0.0.1:0", nil)
	require.NoError(t, err)
	require.NoError(t, tr.Start(nopHandler{}))
	defer tr.Close()
	errc := make(chan error, 1)
	tr.Request(tr.LocalAddr(), make([]byte, MaxStreamSize+1), time.Minute, func(_ []byte, err error) { errc <- err })
	require.ErrorIs(t, <-errc, ErrTooLarge)

	c, err := net.Dial("tcp", tr.LocalAddr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(binary.BigEndian.AppendUint32(nil, MaxStreamSize+1))
	require.NoError(t, err)
	reply, err := io.ReadAll(c)
	require.NoError(t, err)
	require.NotEmpty(t, reply, "the receiver closed without a word")
	require.Equal(t, byte(1), reply[0])
	require.Contains(t, string(reply), fmt.Sprintf("at most %d", MaxStreamSize))
}
