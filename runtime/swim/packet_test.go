package swim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dwsdk/distributed/gen/swimwire"
	"github.com/stretchr/testify/require"
)

func samplePacket(t testing.TB) [][]byte {
	return [][]byte{
		mustEncode(msgPing, &swimwire.Ping{SeqNo: 7, Target: "b", SourceNode: "a", SourceAddr: "127.0.0.1:1"}),
		mustEncode(msgSuspect, &swimwire.Suspect{Incarnation: 3, Node: "c", From: "a"}),
		mustEncode(msgAlive, &swimwire.Alive{Incarnation: 9, Node: "d", Addr: "127.0.0.1:2", Meta: []byte("m")}),
		mustEncode(msgUser, &swimwire.UserMsg{Payload: []byte("hello")}),
	}
}

func TestPacketRoundTrip(t *testing.T) {
	p := compound(nil, samplePacket(t))
	frames, err := splitFrames(p)
	require.NoError(t, err)
	require.Len(t, frames, 4)
	m, err := decodeFrame(frames[0])
	require.NoError(t, err)
	require.Equal(t, &swimwire.Ping{SeqNo: 7, Target: "b", SourceNode: "a", SourceAddr: "127.0.0.1:1"}, m)
	m, err = decodeFrame(frames[2])
	require.NoError(t, err)
	require.Equal(t, &swimwire.Alive{Incarnation: 9, Node: "d", Addr: "127.0.0.1:2", Meta: []byte("m")}, m)
}

func TestPacketUnknownTypeSkipped(t *testing.T) {
	p := append([]byte{200, 3, 1, 2, 3}, mustEncode(msgNack, &swimwire.Nack{SeqNo: 5})...)
	frames, err := splitFrames(p)
	require.NoError(t, err)
	require.Len(t, frames, 2)
	m, err := decodeFrame(frames[0])
	require.NoError(t, err)
	require.Nil(t, m)
}

func TestPacketTruncatedIsMalformed(t *testing.T) {
	p := compound(nil, samplePacket(t))
	_, err := splitFrames(p[:len(p)-2])
	require.ErrorIs(t, err, ErrMalformed)
	require.Contains(t, err.Error(), "message 3 (user) at offset")
}

func TestSecurityLayer(t *testing.T) {
	k1 := []byte("0123456789abcdef")
	k2 := []byte("fedcba9876543210fedcba9876543210")
	kr1, err := NewKeyring(k1)
	require.NoError(t, err)
	kr2, err := NewKeyring(k2)
	require.NoError(t, err)
	body := compound(nil, samplePacket(t))

	for _, tc := range []struct {
		name             string
		sendKR, recvKR   *Keyring
		sendLbl, recvLbl string
		want             error
	}{
		{"plain", nil, nil, "", "", nil},
		{"plain labelled", nil, nil, "prod", "prod", nil},
		{"plain mislabelled", nil, nil, "prod", "test", errLabel},
		{"plain unlabelled to labelled", nil, nil, "", "prod", errLabel},
		{"encrypted", kr1, kr1, "prod", "prod", nil},
		{"encrypted mislabelled", kr1, kr1, "prod", "test", errAuth},
		{"wrong key", kr1, kr2, "", "", errAuth},
		{"plain to encrypted", nil, kr1, "", "", errPlain},
		{"encrypted to plain", kr1, nil, "", "", errNotPlain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := seal(tc.sendKR, tc.sendLbl, body)
			require.NoError(t, err)
			require.LessOrEqual(t, len(p), len(body)+overhead(tc.sendKR, tc.sendLbl))
			got, err := unseal(tc.recvKR, tc.recvLbl, p)
			if tc.want != nil {
				require.True(t, errors.Is(err, tc.want), "got %v, want %v", err, tc.want)
				return
			}
			require.NoError(t, err)
			require.Equal(t, body, got)
		})
	}
}

func TestKeyringRotation(t *testing.T) {
	old, next := []byte("0123456789abcdef"), []byte("abcdefghijklmnop")
	sender, err := NewKeyring(old)
	require.NoError(t, err)
	receiver, err := NewKeyring(old)
	require.NoError(t, err)
	roundTrip := func() error {
		p, err := seal(sender, "l", []byte("x"))
		require.NoError(t, err)
		_, err = unseal(receiver, "l", p)
		return err
	}
	require.NoError(t, receiver.Install(next))
	require.NoError(t, sender.Install(next))
	require.NoError(t, sender.Use(next))
	require.NoError(t, roundTrip(), "the receiver decrypts with a secondary key")
	require.ErrorIs(t, sender.Remove(next), ErrRemovePrimary)
	require.NoError(t, sender.Remove(old))
	require.NoError(t, receiver.Use(next))
	require.NoError(t, receiver.Remove(old))
	require.NoError(t, roundTrip())
	require.Equal(t, [][]byte{next}, receiver.Keys())
	require.ErrorIs(t, receiver.Use(old), ErrNoSuchKey)
	require.ErrorIs(t, receiver.Install([]byte("short")), ErrKeySize)
}

// FuzzDecodePacket feeds arbitrary bytes through the whole receive path:
// security layer, decompounding and message decoding. It must never panic.
func FuzzDecodePacket(f *testing.F) {
	kr, err := NewKeyring([]byte("0123456789abcdef"))
	require.NoError(f, err)
	body := compound(nil, samplePacket(f))
	plain, _ := seal(nil, "lbl", body)
	sealed, _ := seal(kr, "lbl", body)
	f.Add(plain, false)
	f.Add(sealed, true)
	f.Add([]byte{0, 0, 1, 0x80}, false)
	f.Add([]byte{0, 0, 8, 2, 1, 0xff}, false)
	f.Add(append([]byte{0, 0}, mustEncode(msgPushPull, &swimwire.PushPull{Join: true, Nodes: []swimwire.PushNodeState{{Name: "a", Addr: "b", State: 2}}})...), false)
	zipped, _ := seal(nil, "", compressCompound(joinNews(40)))
	f.Add(zipped, false)
	f.Add(append([]byte{0}, byte(msgCompressed), 4, 0xff, 0xff, 0xff, 0xff), false)
	f.Fuzz(func(t *testing.T, p []byte, encrypted bool) {
		k := (*Keyring)(nil)
		lbl := ""
		if encrypted {
			k, lbl = kr, "lbl"
		}
		inner, err := unseal(k, lbl, p)
		if err != nil {
			return
		}
		frames, err := splitFrames(inner)
		if err == nil {
			frames, err = expandFrames(frames)
		}
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		for _, fr := range frames {
			if _, err := decodeFrame(fr); err != nil {
				require.ErrorIs(t, err, ErrMalformed)
			}
		}
	})
}

// FuzzHandlePacket drives a live node with arbitrary packets: nothing may
// panic, and garbage is counted as dropped.
func FuzzHandlePacket(f *testing.F) {
	body := compound(nil, samplePacket(f))
	plain, _ := seal(nil, "", body)
	f.Add(plain)
	f.Add([]byte{0, 0, 6, 1, 0})
	f.Add([]byte{1, 2, 3})
	zipped, _ := seal(nil, "", compressCompound(joinNews(40)))
	f.Add(zipped)
	f.Fuzz(func(t *testing.T, p []byte) {
		s := NewSim(1)
		c := DefaultLANConfig()
		c.Name = "a"
		n, err := s.AddNode(c)
		require.NoError(t, err)
		n.HandlePacket("10.0.0.9:1", p)
		s.Run(3 * time.Second)
		require.NoError(t, n.Shutdown())
	})
}

// TestDecodeRejectsImpossibleNews: member news no member sends (Create
// refuses such names and metadata) is malformed, with what and where. An
// alive message with no name used to add a member called "", and one with
// 5,000 bytes of metadata a member whose news never fit a packet again.
func TestDecodeRejectsImpossibleNews(t *testing.T) {
	long := strings.Repeat("n", 256)
	for _, tc := range []struct {
		name, want string
		t          msgType
		m          any
	}{
		{"alive without name", "alive at offset 0: empty member name", msgAlive, &swimwire.Alive{Addr: "a:1"}},
		{"alive without address", `no address for "x"`, msgAlive, &swimwire.Alive{Node: "x"}},
		{"alive with huge meta", `metadata of 513 bytes for "x", at most 512`, msgAlive, &swimwire.Alive{Node: "x", Addr: "a:1", Meta: make([]byte, MetaMaxSize+1)}},
		{"suspect with long name", "member name of 256 bytes", msgSuspect, &swimwire.Suspect{Node: long, From: "y"}},
		{"dead without name", "dead at offset 0: empty member name", msgDead, &swimwire.Dead{From: "y"}},
		{"push-pull entry", "push-pull at offset 0: member 1: empty member name", msgPushPull, &swimwire.PushPull{Nodes: []swimwire.PushNodeState{{Name: "x", Addr: "a:1"}, {Addr: "b:1"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames, err := splitFrames(mustEncode(tc.t, tc.m))
			require.NoError(t, err)
			_, err = decodeFrame(frames[0])
			require.ErrorIs(t, err, ErrMalformed)
			require.ErrorContains(t, err, tc.want)
		})
	}
	frames, err := splitFrames(mustEncode(msgAlive, &swimwire.Alive{Node: long[:255], Addr: "a:1", Meta: make([]byte, MetaMaxSize)}))
	require.NoError(t, err)
	_, err = decodeFrame(frames[0])
	require.NoError(t, err, "at the limits")
}

// TestHandlePacketAnswersOnePingPerPacket: a packet of thousands of pings
// (deflated, a few hundred bytes) or indirect pings gets one answer, not
// one packet per ping: no member sends more than one of each per packet,
// and the source address of a datagram can be forged.
func TestHandlePacketAnswersOnePingPerPacket(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  func() []byte
	}{
		{"ping", func() []byte { return mustEncode(msgPing, &swimwire.Ping{SeqNo: 7}) }},
		{"indirect ping", func() []byte {
			return mustEncode(msgIndirectPing, &swimwire.IndirectPing{SeqNo: 7, Target: "v", TargetAddr: "10.9.9.9:1"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSim(1)
			c := DefaultLANConfig()
			c.Name = "a"
			n, err := s.AddNode(c)
			require.NoError(t, err)
			defer n.Shutdown()
			var msgs [][]byte
			for range 2000 {
				msgs = append(msgs, tc.msg())
			}
			p, err := seal(nil, "", compressCompound(compound(nil, msgs)))
			require.NoError(t, err)
			require.Less(t, len(p), 1000, "deflated")
			n.HandlePacket("10.9.9.8:1", p)
			require.Equal(t, uint64(1), n.Metrics().PacketsSent)
		})
	}
}

// FuzzHandleRequest drives a live member of a small cluster with arbitrary
// stream requests (push-pull states above all): nothing may panic, and a
// request is either answered or refused with an error.
func FuzzHandleRequest(f *testing.F) {
	pp := func(nodes ...swimwire.PushNodeState) []byte {
		p, _ := seal(nil, "", mustEncode(msgPushPull, &swimwire.PushPull{Join: true, Nodes: nodes}))
		return p
	}
	f.Add(pp(swimwire.PushNodeState{Name: "node-0001", Addr: "10.0.0.1:7946", Incarnation: 3, State: swimwire.StateDead}))
	f.Add(pp(swimwire.PushNodeState{Name: "node-0000", Addr: "10.0.0.0:7946", Incarnation: 9, State: swimwire.StateLeft},
		swimwire.PushNodeState{Name: "new", Addr: "10.0.0.9:7946", Meta: []byte("m")}))
	ping, _ := seal(nil, "", mustEncode(msgPing, &swimwire.Ping{SeqNo: 1, Target: "node-0000"}))
	f.Add(ping)
	user, _ := seal(nil, "", mustEncode(msgUserDirect, &swimwire.UserMsg{Payload: []byte("x")}))
	f.Add(user)
	f.Add([]byte{0, byte(msgPushPull), 3, 0x12, 0x01, 0x0a})
	f.Fuzz(func(t *testing.T, req []byte) {
		s := NewSim(1)
		nodes := simCluster(t, s, 3, DefaultLANConfig(), nil)
		s.Bootstrap(nodes...)
		reply, err := nodes[0].HandleRequest("10.0.0.9:1", req)
		if err == nil {
			_, err = nodes[1].open(reply)
			require.NoError(t, err, "the reply opens")
		}
		s.Run(2 * time.Second)
		for _, n := range nodes {
			require.NoError(t, n.Shutdown())
		}
	})
}
