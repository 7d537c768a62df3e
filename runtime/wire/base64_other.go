//go:build !amd64 || purego

package wire

// base64SIMD is nil where no vector kernel exists: appendBase64 does all
// the work in Go.
var base64SIMD func(dst, src []byte) int
