package swim

// Interim body codec, used only until crdtgen emits AppendBinary and
// UnmarshalBinary for gen/swimwire; then this file is deleted and codec.go
// calls the generated methods.

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dwsdk/distributed/gen/swimwire"
)

type wbuf struct{ b []byte }

func (w *wbuf) u(v uint64)  { w.b = binary.AppendUvarint(w.b, v) }
func (w *wbuf) s(v string)  { w.u(uint64(len(v))); w.b = append(w.b, v...) }
func (w *wbuf) by(v []byte) { w.u(uint64(len(v))); w.b = append(w.b, v...) }
func (w *wbuf) bo(v bool) {
	if v {
		w.u(1)
	} else {
		w.u(0)
	}
}

type rbuf struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (r *rbuf) u() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}
func (r *rbuf) by() []byte {
	n := r.u()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	if n == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}
func (r *rbuf) s() string   { return string(r.by()) }
func (r *rbuf) u32() uint32 { return uint32(r.u()) }

func appendBody(b []byte, m any) ([]byte, error) {
	w := &wbuf{b: b}
	switch m := m.(type) {
	case *swimwire.Ping:
		w.u(uint64(m.SeqNo))
		w.s(m.Target)
		w.s(m.SourceNode)
		w.s(m.SourceAddr)
	case *swimwire.IndirectPing:
		w.u(uint64(m.SeqNo))
		w.s(m.Target)
		w.s(m.TargetAddr)
		w.bo(m.Nack)
		w.s(m.SourceNode)
		w.s(m.SourceAddr)
	case *swimwire.Ack:
		w.u(uint64(m.SeqNo))
		w.by(m.Payload)
	case *swimwire.Nack:
		w.u(uint64(m.SeqNo))
	case *swimwire.Alive:
		w.u(uint64(m.Incarnation))
		w.s(m.Node)
		w.s(m.Addr)
		w.by(m.Meta)
	case *swimwire.Suspect:
		w.u(uint64(m.Incarnation))
		w.s(m.Node)
		w.s(m.From)
	case *swimwire.Dead:
		w.u(uint64(m.Incarnation))
		w.s(m.Node)
		w.s(m.From)
	case *swimwire.PushPull:
		w.bo(m.Join)
		w.u(uint64(len(m.Nodes)))
		for i := range m.Nodes {
			n := &m.Nodes[i]
			w.s(n.Name)
			w.s(n.Addr)
			w.by(n.Meta)
			w.u(uint64(n.Incarnation))
			w.u(uint64(n.State))
		}
		w.by(m.UserState)
	case *swimwire.UserMsg:
		w.by(m.Payload)
	default:
		return b, fmt.Errorf("swim: no codec for %T", m)
	}
	return w.b, nil
}

func unmarshalBody(body []byte, m any) error {
	r := &rbuf{b: body}
	switch m := m.(type) {
	case *swimwire.Ping:
		m.SeqNo = r.u32()
		m.Target = r.s()
		m.SourceNode = r.s()
		m.SourceAddr = r.s()
	case *swimwire.IndirectPing:
		m.SeqNo = r.u32()
		m.Target = r.s()
		m.TargetAddr = r.s()
		m.Nack = r.u() != 0
		m.SourceNode = r.s()
		m.SourceAddr = r.s()
	case *swimwire.Ack:
		m.SeqNo = r.u32()
		m.Payload = r.by()
	case *swimwire.Nack:
		m.SeqNo = r.u32()
	case *swimwire.Alive:
		m.Incarnation = r.u32()
		m.Node = r.s()
		m.Addr = r.s()
		m.Meta = r.by()
	case *swimwire.Suspect:
		m.Incarnation = r.u32()
		m.Node = r.s()
		m.From = r.s()
	case *swimwire.Dead:
		m.Incarnation = r.u32()
		m.Node = r.s()
		m.From = r.s()
	case *swimwire.PushPull:
		m.Join = r.u() != 0
		n := r.u()
		if n > uint64(len(r.b)) {
			return errShort
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			var s swimwire.PushNodeState
			s.Name = r.s()
			s.Addr = r.s()
			s.Meta = r.by()
			s.Incarnation = r.u32()
			s.State = swimwire.State(r.u())
			m.Nodes = append(m.Nodes, s)
		}
		m.UserState = r.by()
	case *swimwire.UserMsg:
		m.Payload = r.by()
	default:
		return fmt.Errorf("swim: no codec for %T", m)
	}
	return r.err
}
