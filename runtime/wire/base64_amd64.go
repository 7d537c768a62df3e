//go:build !purego

package wire

import "golang.org/x/sys/cpu"

// base64SIMD encodes the longest prefix of src it can with AVX2 into dst
// and returns how many bytes of src it consumed (a multiple of 24; 0
// without AVX2 or for fewer than 28 bytes). dst must hold 4/3 of len(src).
var base64SIMD = func() func(dst, src []byte) int {
	if cpu.X86.HasAVX2 {
		return base64EncodeAVX2
	}
	return nil
}()

//go:noescape
func base64EncodeAVX2(dst, src []byte) int
