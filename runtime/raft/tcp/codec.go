package tcp

import (
	"bytes"
	"encoding/gob"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TEMPORARY until the generated binary codecs land: gob.

func appendMessage(b []byte, m *raftwire.Message) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	err := gob.NewEncoder(buf).Encode(m)
	return buf.Bytes(), err
}

func decodeMessage(p []byte, m *raftwire.Message) error {
	return gob.NewDecoder(bytes.NewReader(p)).Decode(m)
}

func messageSize(m *raftwire.Message) int {
	b, _ := appendMessage(nil, m)
	return len(b)
}
