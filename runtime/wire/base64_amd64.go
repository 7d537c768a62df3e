//go:build !purego

package wire

import "golang.org/x/sys/cpu"

// useBase64AVX2 routes appendBase64 through base64EncodeAVX2. Tests turn
// it off to check the Go steps.
var useBase64AVX2 = cpu.X86.HasAVX2

// base64EncodeAVX2 encodes all of src, padded, into the first
// (len(src)+2)/3*4 bytes of dst. It needs AVX2.
//
//go:noescape
func base64EncodeAVX2(dst, src []byte)
