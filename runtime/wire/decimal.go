package wire

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

// AppendUint appends v in decimal, the bytes strconv.AppendUint(b, v, 10)
// appends. Single digits (enum values, small terms) take an inlined path;
// the rest write two digits per step into a stack buffer.
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
	}
	var buf [20]byte
	i := len(buf)
	for v >= 100 {
		q := v / 100
		r := (v - q*100) * 2
		i -= 2
		buf[i], buf[i+1] = digitPairs[r], digitPairs[r+1]
		v = q
	}
	if v >= 10 {
		i -= 2
		buf[i], buf[i+1] = digitPairs[v*2], digitPairs[v*2+1]
	} else {
		i--
		buf[i] = byte('0' + v)
	}
	return append(b, buf[i:]...)
}
