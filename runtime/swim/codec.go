package swim

import "fmt"

// The bodies of packet messages are encoded by the codecs crdtgen generates
// for gen/swimwire (AppendBinary, Size, UnmarshalBinary).

type bodyEncoder interface {
	AppendBinary(b []byte) ([]byte, error)
	Size() int
}

type bodyDecoder interface {
	UnmarshalBinary(b []byte) error
}

func appendBody(b []byte, m any) ([]byte, error) {
	e, ok := m.(bodyEncoder)
	if !ok {
		return b, fmt.Errorf("swim: no codec for %T", m)
	}
	return e.AppendBinary(b)
}

func bodySize(m any) (int, error) {
	e, ok := m.(bodyEncoder)
	if !ok {
		return 0, fmt.Errorf("swim: no codec for %T", m)
	}
	return e.Size(), nil
}

func unmarshalBody(body []byte, m any) error {
	d, ok := m.(bodyDecoder)
	if !ok {
		return fmt.Errorf("swim: no codec for %T", m)
	}
	return d.UnmarshalBinary(body)
}
