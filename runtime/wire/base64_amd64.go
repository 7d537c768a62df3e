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
