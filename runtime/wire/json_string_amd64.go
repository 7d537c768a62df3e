//go:build !purego

package wire

import "golang.org/x/sys/cpu"

// useStringAVX512 routes AppendJSONString's strings over 16 bytes through
// jsonSafeCopyAVX512. Tests turn it off to check the Go path.
var useStringAVX512 = cpu.X86.HasAVX512BW && cpu.X86.HasBMI1 && cpu.X86.HasBMI2

// jsonSafeCopyAVX512 copies the longest prefix of s that needs no JSON
// escaping into dst, which holds at least len(s) bytes, and returns its
// length. It needs AVX-512 BW, BMI1 and BMI2.
//
//go:noescape
func jsonSafeCopyAVX512(dst []byte, s string) int

// jsonSafeCopyShortAVX512 is jsonSafeCopyAVX512 for strings of at most 16
// bytes. It needs AVX-512 BW and VL, BMI1 and BMI2.
//
//go:noescape
func jsonSafeCopyShortAVX512(dst []byte, s string) int

// useStringShortAVX512 routes AppendJSONString's strings of up to 16
// bytes through jsonSafeCopyShortAVX512. Tests turn it off to check the Go
// path.
var useStringShortAVX512 = useStringAVX512 && cpu.X86.HasAVX512VL
