package wire

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
)

// SortedKeys appends the keys of m to buf and sorts them in ascending order;
// pass a stack array's slice as buf to avoid allocating for small maps.
func SortedKeys[K cmp.Ordered, V any](m map[K]V, buf []K) []K {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// SortJSONIntKeys orders integer keys by their decimal text, the order
// encoding/json writes map keys in ("10" before "9").
func SortJSONIntKeys[K ~int | ~int8 | ~int16 | ~int32 | ~int64](keys []K) {
	slices.SortFunc(keys, func(a, b K) int {
		var x, y [24]byte
		return cmp.Compare(string(strconv.AppendInt(x[:0], int64(a), 10)), string(strconv.AppendInt(y[:0], int64(b), 10)))
	})
}

// SortJSONUintKeys is SortJSONIntKeys for unsigned keys.
func SortJSONUintKeys[K ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64](keys []K) {
	slices.SortFunc(keys, func(a, b K) int {
		var x, y [24]byte
		return cmp.Compare(string(strconv.AppendUint(x[:0], uint64(a), 10)), string(strconv.AppendUint(y[:0], uint64(b), 10)))
	})
}

// FoldIndex returns 1 + the index of the first name equal to key under
// Unicode case folding, or 0. Generated JSON decoders call it for keys that
// match no field exactly, accepting the keys encoding/json accepts.
func FoldIndex(key []byte, names []string) int {
	for i, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return i + 1
		}
	}
	return 0
}
