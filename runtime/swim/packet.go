package swim

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dwsdk/distributed/gen/swimwire"
)

// Packet layout (after the security layer, see security.go): a compound of
// messages, each a type byte, a uvarint body length and the body, which is
// the generated binary encoding of a gen/swimwire message. A packet holds
// as many messages as fit in the MTU; unknown message types are skipped, so
// a newer member can add types without breaking older ones.
type msgType uint8

const (
	msgPing msgType = iota + 1
	msgIndirectPing
	msgAck
	msgNack
	msgSuspect
	msgAlive
	msgDead
	msgPushPull
	msgUser       // user broadcast
	msgUserDirect // direct user message
	msgCompressed // a deflated compound, see compress.go
)

func (t msgType) String() string {
	names := [...]string{"invalid", "ping", "indirect-ping", "ack", "nack", "suspect", "alive", "dead", "push-pull", "user", "user-direct", "compressed"}
	if int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("msgType(%d)", uint8(t))
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("swim: malformed packet")

// encodeMsg appends one framed message.
func encodeMsg(b []byte, t msgType, m any) ([]byte, error) {
	size, err := bodySize(m)
	if err != nil {
		return b, err
	}
	if b == nil {
		b = make([]byte, 0, 1+binary.MaxVarintLen32+size)
	}
	b = append(b, byte(t))
	b = binary.AppendUvarint(b, uint64(size))
	return appendBody(b, m)
}

// mustEncode encodes a message the Node built itself. The codecs only fail
// on types they do not know, a programming error caught by the tests; a
// nil result is skipped by the senders rather than crashing the node.
func mustEncode(t msgType, m any) []byte {
	b, err := encodeMsg(nil, t, m)
	if err != nil {
		return nil
	}
	return b
}

// frame is one message of a decoded packet.
type frame struct {
	t    msgType
	body []byte
	off  int
}

// splitFrames splits a compound into its messages without copying.
func splitFrames(p []byte) ([]frame, error) {
	var out []frame
	off := 0
	for off < len(p) {
		t := msgType(p[off])
		n, w := binary.Uvarint(p[off+1:])
		if w <= 0 || n > uint64(len(p)-off-1-w) {
			return out, fmt.Errorf("%w: message %d (%v) at offset %d: bad length", ErrMalformed, len(out), t, off)
		}
		start := off + 1 + w
		out = append(out, frame{t: t, body: p[start : start+int(n)], off: off})
		off = start + int(n)
	}
	return out, nil
}

// decodeFrame decodes one message body into its generated type.
func decodeFrame(f frame) (any, error) {
	var m any
	switch f.t {
	case msgPing:
		m = new(swimwire.Ping)
	case msgIndirectPing:
		m = new(swimwire.IndirectPing)
	case msgAck:
		m = new(swimwire.Ack)
	case msgNack:
		m = new(swimwire.Nack)
	case msgSuspect:
		m = new(swimwire.Suspect)
	case msgAlive:
		m = new(swimwire.Alive)
	case msgDead:
		m = new(swimwire.Dead)
	case msgPushPull:
		m = new(swimwire.PushPull)
	case msgUser, msgUserDirect:
		m = new(swimwire.UserMsg)
	default:
		return nil, nil // unknown: skipped
	}
	err := unmarshalBody(f.body, m)
	if err == nil {
		err = checkBody(m)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v at offset %d: %v", ErrMalformed, f.t, f.off, err)
	}
	return m, nil
}

// checkBody rejects member news that no member sends: a name Create would
// refuse, no address, or metadata over MetaMaxSize (such an alive message
// could never be gossiped on: it does not fit a packet).
func checkBody(m any) error {
	switch m := m.(type) {
	case *swimwire.Alive:
		return checkMember(m.Node, m.Addr, m.Meta)
	case *swimwire.Suspect:
		return checkName(m.Node)
	case *swimwire.Dead:
		return checkName(m.Node)
	case *swimwire.PushPull:
		for i := range m.Nodes {
			if err := checkMember(m.Nodes[i].Name, m.Nodes[i].Addr, m.Nodes[i].Meta); err != nil {
				return fmt.Errorf("member %d: %w", i, err)
			}
		}
	}
	return nil
}

func checkMember(name, addr string, meta []byte) error {
	switch err := checkName(name); {
	case err != nil:
		return err
	case addr == "":
		return fmt.Errorf("no address for %q", name)
	case len(meta) > MetaMaxSize:
		return fmt.Errorf("metadata of %d bytes for %q, at most %d", len(meta), name, MetaMaxSize)
	}
	return nil
}

func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty member name")
	case len(name) > 255:
		return fmt.Errorf("member name of %d bytes, at most 255", len(name))
	}
	return nil
}

// compound concatenates framed messages.
func compound(dst []byte, msgs [][]byte) []byte { // nil messages (failed encodings) add nothing
	for _, m := range msgs {
		dst = append(dst, m...)
	}
	return dst
}
