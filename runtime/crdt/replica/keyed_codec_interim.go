package replica

import (
	"encoding/binary"
	"fmt"

	"github.com/dwsdk/distributed/gen/replicawire"
)

// Interim binary codec of KeyedBatch until crdtgen emits codecs: a uvarint
// count, then per item a uvarint-prefixed key and data.

func encodeBatch(b *replicawire.KeyedBatch) ([]byte, error) {
	out := binary.AppendUvarint(nil, uint64(len(b.Items)))
	for _, it := range b.Items {
		out = binary.AppendUvarint(out, uint64(len(it.Key)))
		out = append(out, it.Key...)
		out = binary.AppendUvarint(out, uint64(len(it.Data)))
		out = append(out, it.Data...)
	}
	return out, nil
}

func decodeBatch(p []byte, b *replicawire.KeyedBatch) error {
	off := 0
	next := func(field string) ([]byte, error) {
		n, k := binary.Uvarint(p[off:])
		if k <= 0 || n > uint64(len(p)-off-k) {
			return nil, fmt.Errorf("KeyedBatch: %s: bad length at offset %d", field, off)
		}
		off += k
		v := p[off : off+int(n)]
		off += int(n)
		return v, nil
	}
	count, k := binary.Uvarint(p)
	if k <= 0 || count > uint64(len(p)) {
		return fmt.Errorf("KeyedBatch: items: bad count at offset 0")
	}
	off = k
	b.Items = make([]replicawire.KeyedItem, 0, count)
	for range count {
		key, err := next("key")
		if err != nil {
			return err
		}
		data, err := next("data")
		if err != nil {
			return err
		}
		b.Items = append(b.Items, replicawire.KeyedItem{Key: string(key), Data: append([]byte(nil), data...)})
	}
	if off != len(p) {
		return fmt.Errorf("KeyedBatch: %d trailing bytes at offset %d", len(p)-off, off)
	}
	return nil
}
