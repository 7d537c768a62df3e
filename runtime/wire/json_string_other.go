//go:build !amd64 || purego

package wire

// useStringAVX512 is false where no vector kernel exists.
var useStringAVX512 = false

func jsonSafeCopyAVX512(dst []byte, s string) int {
	panic("wire: no AVX-512 string kernel on this platform")
}

// useStringShortAVX512 is false where no vector kernel exists.
var useStringShortAVX512 = false

func jsonSafeCopyShortAVX512(dst []byte, s string) int {
	panic("wire: no AVX-512 string kernel on this platform")
}
