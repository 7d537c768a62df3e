//go:build !purego

package wire

import "golang.org/x/sys/cpu"

// base64SIMD, nil without AVX2, encodes the longest prefix of src it can
// into dst and returns how many bytes of src it consumed (a multiple of
// 24; 0 for fewer than 28 bytes). dst must hold 4/3 of len(src).
var base64SIMD = func() func(dst, src []byte) int {
	if cpu.X86.HasAVX2 {
		return base64EncodeAVX2
	}
	return nil
}()

//go:noescape
func base64EncodeAVX2(dst, src []byte) int
