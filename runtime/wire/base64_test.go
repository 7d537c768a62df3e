package wire

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"testing"
)

func TestAppendBase64MatchesStdlib(t *testing.T) {
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i*131 + 7)
	}
	for n := 0; n <= len(src); n++ {
		prefix := []byte("x")
		got := appendBase64(prefix, src[:n])
		want := base64.StdEncoding.AppendEncode([]byte("x"), src[:n])
		if !bytes.Equal(got, want) {
			t.Fatalf("n=%d:\n got %s\nwant %s", n, got, want)
		}
	}
}

// TestAppendBase64Paths checks the vector kernel and the Go steps alone
// against the standard library for every length up to 1 KiB, at every
// alignment of the source.
func TestAppendBase64Paths(t *testing.T) {
	src := make([]byte, 1024+8)
	for i := range src {
		src[i] = byte(i*2654435761>>13 + i)
	}
	simd := useBase64AVX2
	t.Cleanup(func() { useBase64AVX2 = simd })
	for _, path := range []struct {
		name string
		simd bool
	}{{"simd", simd}, {"go", false}} {
		useBase64AVX2 = path.simd
		for off := range 8 {
			for n := 0; n+off <= len(src); n++ {
				in := src[off : off+n]
				got := appendBase64(nil, in)
				if want := base64.StdEncoding.AppendEncode(nil, in); !bytes.Equal(got, want) {
					t.Fatalf("%s off=%d n=%d:\n got %s\nwant %s", path.name, off, n, got, want)
				}
			}
		}
	}
}

// FuzzAppendBase64 compares appendBase64 with the standard library on any
// input.
func FuzzAppendBase64(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("any carnal pleasure."))
	f.Add(bytes.Repeat([]byte{0xff, 0x00, 0xfb, 0xef}, 40))
	f.Fuzz(func(t *testing.T, in []byte) {
		got := appendBase64([]byte("p"), in)
		if want := base64.StdEncoding.AppendEncode([]byte("p"), in); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkAppendBase64(b *testing.B) {
	for _, n := range []int{30, 128, 8192} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i * 7)
		}
		dst := make([]byte, 0, 2*n+8)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				dst = appendBase64(dst[:0], src)
			}
		})
	}
}
