package wire

import (
	"math/bits"
	"slices"
)

// digitPairs holds "00" to "99": decimal formatting writes two digits per
// division.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// pow10 holds 10^i for i >= 1 and 0 for i = 0: UintLen's correction
// table.
var pow10 = [20]uint64{0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// UintLen is the number of decimal digits of v.
func UintLen(v uint64) int {
	// Terms, kinds and flags are mostly single digits: one comparison.
	if v < 10 {
		return 1
	}
	// bits*1233>>12 is floor(bits*log10(2)) for bits <= 64: the digit
	// count of the smallest number of that bit length, less one. One
	// comparison corrects it.
	t := bits.Len64(v) * 1233 >> 12
	if v >= pow10[t] {
		t++
	}
	return t
}

// IntLen is the length of v in decimal, with its sign.
func IntLen(v int64) int {
	if v < 0 {
		return 1 + UintLen(uint64(-v))
	}
	return UintLen(uint64(v))
}

// AppendUint appends v in decimal, the bytes strconv.AppendUint(b, v, 10)
// appends. Single digits (enum values, small terms) take an inlined path;
// the rest are written in place, two digits per step, from the last.
func AppendUint(b []byte, v uint64) []byte {
	if v < 10 {
		return append(b, byte('0'+v))
	}
	return appendUintSlow(b, v)
}

// AppendInt appends v in decimal, the bytes strconv.AppendInt(b, v, 10)
// appends.
func AppendInt(b []byte, v int64) []byte {
	if v < 0 {
		// -v overflows for math.MinInt64, but uint64(-v) is still its
		// magnitude in two's complement.
		return appendUintSlow(append(b, '-'), uint64(-v))
	}
	return appendUintSlow(b, uint64(v))
}

// appendUintSlow is AppendUint without the inlined fast path; it handles
// every value, single digits included (AppendInt relies on that).
func appendUintSlow(b []byte, v uint64) []byte {
	switch {
	case v < 10:
		return append(b, byte('0'+v))
	case v < 100:
		return append(b, digitPairs[v*2], digitPairs[v*2+1])
	case v < 1000:
		q := v / 100
		r := (v - q*100) * 2
		return append(b, byte('0'+q), digitPairs[r], digitPairs[r+1])
	case v < 10000:
		q := v / 100
		r := (v - q*100) * 2
		return append(b, digitPairs[q*2], digitPairs[q*2+1], digitPairs[r], digitPairs[r+1])
	}
	n := UintLen(v)
	l := len(b)
	b = slices.Grow(b, n)[:l+n]
	d := b[l:]
	i := n
	for v >= 100 {
		q := v / 100
		r := (v - q*100) * 2
		i -= 2
		d[i], d[i+1] = digitPairs[r], digitPairs[r+1]
		v = q
	}
	if v >= 10 {
		d[i-2], d[i-1] = digitPairs[v*2], digitPairs[v*2+1]
	} else {
		d[i-1] = byte('0' + v)
	}
	return b
}
