//go:build !purego

package wire

import "golang.org/x/sys/cpu"

// base64Paths lists the base64 kernels this CPU runs, fastest last.
var base64Paths = func() []int {
	paths := []int{base64Go}
	if cpu.X86.HasAVX2 {
		paths = append(paths, base64AVX2)
	}
	if cpu.X86.HasAVX512VBMI && cpu.X86.HasAVX512BW && cpu.X86.HasBMI2 {
		paths = append(paths, base64AVX512)
	}
	return paths
}()

// useBase64DecodeAVX512 routes decodeBase64's bulk through
// base64DecodeAVX512. Tests turn it off to check encoding/base64 alone.
var useBase64DecodeAVX512 = cpu.X86.HasAVX512VBMI && cpu.X86.HasAVX512BW && cpu.X86.HasBMI2 && cpu.X86.HasPOPCNT

// base64Path is the kernel encodeBase64 uses. Tests set it to each of
// base64Paths in turn.
var base64Path = base64Paths[len(base64Paths)-1]

// base64EncodeAVX2 encodes all of src, padded, into the first
// (len(src)+2)/3*4 bytes of dst. It needs AVX2.
//
//go:noescape
func base64EncodeAVX2(dst, src []byte)

// base64EncodeAVX512 is base64EncodeAVX2 for AVX-512 VBMI and BMI2.
//
//go:noescape
func base64EncodeAVX512(dst, src []byte)

// base64DecodeAVX512 decodes the longest prefix of src, in steps of up to
// 64 characters that hold only alphabet characters, into dst and returns
// how many characters it consumed. len(src) is a multiple of 4 and dst
// holds len(src)/4*3 bytes.
//
//go:noescape
func base64DecodeAVX512(dst, src []byte) int
