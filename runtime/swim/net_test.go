package swim

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
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
		name   string
		addrs  []netip.Addr
		v4only bool
		want   string // "" means none
	}{
		{"private v4 first", ips("127.0.0.1", "fd00::2", "192.0.2.2", "10.1.2.3"), false, "10.1.2.3"},
		{"routable v4 before v6", ips("::1", "fd00::2", "127.0.0.1", "192.0.2.2"), false, "192.0.2.2"},
		{"private v6 before loopback", ips("127.0.0.1", "fe80::1", "2001:db8::1", "fd00::2"), false, "fd00::2"},
		{"v4 only skips v6", ips("fd00::2", "127.0.0.1"), true, "127.0.0.1"},
		{"loopback alone", ips("::1", "127.0.0.1"), false, "127.0.0.1"},
		{"link-local never", ips("fe80::1", "169.254.1.1"), false, ""},
		{"nothing", nil, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pickAdvertiseIP(tc.addrs, tc.v4only)
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
// other host would take for itself; it advertises an interface address on
// the bound port, and members reach it there.
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
			if bind == "0.0.0.0:0" {
				require.True(t, ap.Addr().Is4(), "asked for IPv4, advertises %v", ap)
			}

			b := startNode(t, fastConfig("b"))
			defer b.Shutdown()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = b.Join(ctx, ap.String())
			require.NoError(t, err)
			m, ok := b.Member("wild")
			require.True(t, ok)
			require.Equal(t, ap.String(), m.Addr)
			eventually(t, 10*time.Second, "wild and b probe each other", func() bool {
				return b.Metrics().Probes > 0 && a.Metrics().Probes > 0 &&
					stateOf(a, "b") == StateAlive && stateOf(b, "wild") == StateAlive
			})
		})
	}
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
