package wire

import "unsafe"

// arena hands out the memory of the strings and byte slices one decode
// produces from a single allocation sized by the input, instead of one
// allocation per field. Decoded strings and []byte fields of one message
// therefore share a backing array: it stays reachable while any of them is.
// Every slice handed out has its capacity capped, so appending to a decoded
// []byte copies instead of overwriting a neighbour, and strings point into
// bytes nothing writes again.
type arena struct {
	buf  []byte
	size int // capacity of the first chunk (the input length)
}

// alloc returns n bytes of arena memory with len and cap n.
func (a *arena) alloc(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	if cap(a.buf)-len(a.buf) < n {
		if a.buf != nil || n > a.size {
			// A rare overflow (invalid UTF-8 expanding to U+FFFD): its own slice.
			return make([]byte, n)
		}
		a.buf = make([]byte, 0, a.size)
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}

// bytes copies p into the arena.
func (a *arena) bytes(p []byte) []byte {
	out := a.alloc(len(p))
	copy(out, p)
	return out
}

// string copies p into the arena and returns it as a string without a
// second copy.
func (a *arena) string(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	out := a.bytes(p)
	return unsafe.String(unsafe.SliceData(out), len(out))
}
