package wire

import (
	"encoding/base64"
	"encoding/binary"
)

// b64Pairs maps 12 bits to the two standard base64 characters that encode
// them, first character in the low byte.
var b64Pairs = func() (t [4096]uint16) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = uint16(alphabet[i>>6]) | uint16(alphabet[i&63])<<8
	}
	return t
}()

// The base64 kernels, from the slowest.
const (
	base64Go     = iota // encodeBase64Go
	base64AVX2          // base64EncodeAVX2
	base64AVX512        // base64EncodeAVX512
)

// encodeBase64 writes the standard, padded base64 encoding of src into
// dst, which holds exactly (len(src)+2)/3*4 bytes, with the fastest kernel
// the CPU runs. On amd64 one assembly call encodes it all: with AVX-512
// VBMI 48 bytes per step and the tail in one masked step; with AVX2 24
// bytes per step and the rest 3 at a time.
func encodeBase64(dst, src []byte) {
	switch base64Path {
	case base64AVX512:
		base64EncodeAVX512(dst, src)
	case base64AVX2:
		base64EncodeAVX2(dst, src)
	default:
		encodeBase64Go(dst, src)
	}
}

// encodeBase64Go is encodeBase64 in Go: steps that turn 12 input bytes
// into 16 characters with two 8-byte loads, eight lookups in a 12-bit
// table and two 8-byte stores, then 3 bytes at a time through the same
// table.
func encodeBase64Go(dst, src []byte) {
	t := &b64Pairs
	for len(src) >= 14 && len(dst) >= 16 {
		v := binary.BigEndian.Uint64(src)
		w := binary.BigEndian.Uint64(src[6:])
		binary.LittleEndian.PutUint64(dst, uint64(t[v>>52])|uint64(t[(v>>40)&0xfff])<<16|uint64(t[(v>>28)&0xfff])<<32|uint64(t[(v>>16)&0xfff])<<48)
		binary.LittleEndian.PutUint64(dst[8:], uint64(t[w>>52])|uint64(t[(w>>40)&0xfff])<<16|uint64(t[(w>>28)&0xfff])<<32|uint64(t[(w>>16)&0xfff])<<48)
		src = src[12:]
		dst = dst[16:]
	}
	for len(src) >= 3 && len(dst) >= 4 {
		v := uint(src[0])<<16 | uint(src[1])<<8 | uint(src[2])
		binary.LittleEndian.PutUint32(dst, uint32(t[v>>12])|uint32(t[v&0xfff])<<16)
		src = src[3:]
		dst = dst[4:]
	}
	if len(dst) >= 4 {
		switch len(src) {
		case 1:
			p := t[uint(src[0])<<4]
			dst[0], dst[1], dst[2], dst[3] = byte(p), byte(p>>8), '=', '='
		case 2:
			v := uint(src[0])<<16 | uint(src[1])<<8
			p, q := t[v>>12], t[v&0xfff]
			dst[0], dst[1], dst[2], dst[3] = byte(p), byte(p>>8), byte(q), '='
		}
	}
}

// decodeBase64 is base64.StdEncoding.Decode (padding required, \r and \n
// skipped, errors at the same offsets), with the bulk decoded by
// base64DecodeAVX512 where the CPU has it. The kernel takes whole steps of
// alphabet characters up to the last 4-character group, which may hold
// padding; encoding/base64 decodes what it leaves, and any error there is
// reported at its offset in all of src.
func decodeBase64(dst, src []byte) (int, error) {
	done := 0
	if useBase64DecodeAVX512 && len(src) > 4 {
		done = base64DecodeAVX512(dst, src[:(len(src)-1)/4*4])
	}
	out := done / 4 * 3
	n, err := base64.StdEncoding.Decode(dst[out:], src[done:])
	if off, ok := err.(base64.CorruptInputError); ok {
		err = base64.CorruptInputError(int64(off) + int64(done))
	}
	return out + n, err
}
