//go:build !amd64 || purego

package wire

// useBase64AVX2 is false where no vector kernel exists: appendBase64 does
// all the work in Go.
var useBase64AVX2 = false

func base64EncodeAVX2(dst, src []byte) { panic("wire: no AVX2 base64 kernel on this platform") }
