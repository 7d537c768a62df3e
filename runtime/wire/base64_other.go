//go:build !amd64 || purego

package wire

// base64Paths holds only the Go kernel where no vector kernel exists.
var base64Paths = []int{base64Go}

// base64Path is the kernel encodeBase64 uses.
var base64Path = base64Go

func base64EncodeAVX2(dst, src []byte) { panic("wire: no AVX2 base64 kernel on this platform") }

func base64EncodeAVX512(dst, src []byte) { panic("wire: no AVX-512 base64 kernel on this platform") }

// useBase64DecodeAVX512 is false where no vector kernel exists.
var useBase64DecodeAVX512 = false

func base64DecodeAVX512(dst, src []byte) int {
	panic("wire: no AVX-512 base64 decoder on this platform")
}
