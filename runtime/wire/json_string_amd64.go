//go:build !purego

package wire

import "golang.org/x/sys/cpu"

// useStringAVX512 routes AppendJSONString through jsonSafeCopyAVX512.
// Tests turn it off to check the Go path.
var useStringAVX512 = cpu.X86.HasAVX512BW && cpu.X86.HasBMI1 && cpu.X86.HasBMI2

// jsonSafeCopyAVX512 copies the longest prefix of s that needs no JSON
// escaping into dst, which holds at least len(s) bytes, and returns its
// length. It needs AVX-512 BW, BMI1 and BMI2.
//
//go:noescape
func jsonSafeCopyAVX512(dst []byte, s string) int
