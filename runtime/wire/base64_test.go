package wire

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// appendBase64 appends the standard, padded base64 encoding of src with
// encodeBase64: what the tests compare with base64.StdEncoding.AppendEncode.
func appendBase64(b []byte, src []byte) []byte {
	n := int(uint(len(src)+2) / 3 * 4)
	l := len(b)
	b = slices.Grow(b, n)[:l+n]
	encodeBase64(b[l:], src)
	return b
}

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

// TestAppendBase64Paths checks each kernel the CPU runs (the Go steps,
// AVX2, AVX-512) against the standard library for every length up to
// 1 KiB, at every alignment of the source, and checks that none writes
// past its output.
func TestAppendBase64Paths(t *testing.T) {
	src := make([]byte, 1024+8)
	for i := range src {
		src[i] = byte(i*2654435761>>13 + i)
	}
	saved := base64Path
	t.Cleanup(func() { base64Path = saved })
	guard := bytes.Repeat([]byte("#"), 64)
	for _, path := range base64Paths {
		base64Path = path
		for off := range 8 {
			for n := 0; n+off <= len(src); n++ {
				in := src[off : off+n]
				want := base64.StdEncoding.AppendEncode(nil, in)
				got := append(make([]byte, len(want)), guard...)
				encodeBase64(got[:len(want)], in)
				if !bytes.Equal(got[:len(want)], want) || !bytes.Equal(got[len(want):], guard) {
					t.Fatalf("kernel %d off=%d n=%d:\n got %s\nwant %s%s", path, off, n, got, want, guard)
				}
			}
		}
	}
	t.Logf("kernels checked: %v", base64Paths)
}

// FuzzAppendBase64 compares appendBase64, with each kernel the CPU runs,
// with the standard library on any input.
func FuzzAppendBase64(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("any carnal pleasure."))
	f.Add(bytes.Repeat([]byte{0xff, 0x00, 0xfb, 0xef}, 40))
	saved := base64Path
	f.Cleanup(func() { base64Path = saved })
	f.Fuzz(func(t *testing.T, in []byte) {
		want := base64.StdEncoding.AppendEncode([]byte("p"), in)
		for _, path := range base64Paths {
			base64Path = path
			if got := appendBase64([]byte("p"), in); !bytes.Equal(got, want) {
				t.Fatalf("kernel %d: got %s\nwant %s", path, got, want)
			}
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

// requireDecodeBase64 checks decodeBase64 against base64.StdEncoding.Decode
// on in, with the vector kernel and without: the same bytes, the same
// count and the same error, offset included.
func requireDecodeBase64(t *testing.T, in []byte) {
	t.Helper()
	want := make([]byte, base64.StdEncoding.DecodedLen(len(in)))
	wn, werr := base64.StdEncoding.Decode(want, in)
	saved := useBase64DecodeAVX512
	defer func() { useBase64DecodeAVX512 = saved }()
	for _, vector := range []bool{saved, false} {
		useBase64DecodeAVX512 = vector
		got := append(make([]byte, len(want)), "guard"...)
		n, err := decodeBase64(got[:len(want)], in)
		if werr != nil || err != nil {
			if fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("vector=%v %q: error %v, want %v", vector, in, err, werr)
			}
			continue
		}
		if n != wn || !bytes.Equal(got[:n], want[:wn]) || string(got[len(want):]) != "guard" {
			t.Fatalf("vector=%v %q: got %d %x, want %d %x", vector, in, n, got, wn, want[:wn])
		}
	}
}

// TestDecodeBase64MatchesStdlib decodes every length of encoded text up to
// 300 characters, then the same texts with each kind of bad or skipped
// byte (not base64, padding too early, a newline, non-ASCII) at places
// around the 64-character steps of the vector kernel.
func TestDecodeBase64MatchesStdlib(t *testing.T) {
	src := make([]byte, 225)
	for i := range src {
		src[i] = byte(i*2654435761>>13 + i)
	}
	for n := 0; n <= len(src); n++ {
		enc := []byte(base64.StdEncoding.EncodeToString(src[:n]))
		requireDecodeBase64(t, enc)
		if n%7 != 0 {
			continue
		}
		for at := range enc {
			if at > 3 && at < len(enc)-4 && at%64 > 3 && at%64 < 60 {
				continue
			}
			for _, c := range []byte{'!', '=', '\n', '\r', 0x80, 0xc3, 0, 'A' | 0x80} {
				bad := slices.Clone(enc)
				bad[at] = c
				requireDecodeBase64(t, bad)
			}
		}
		requireDecodeBase64(t, enc[:len(enc)/2])
		requireDecodeBase64(t, append(slices.Clone(enc), 'A'))
	}
	t.Logf("vector decoder: %v", useBase64DecodeAVX512)
}

// FuzzDecodeBase64 compares decodeBase64 with encoding/base64 on any
// input.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("YW55IGNhcm5hbCBwbGVhc3VyZS4="))
	f.Add([]byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 100))))
	f.Add([]byte("YW55IGNh\ncm5hbCBwbGVhc3VyZS4="))
	f.Add([]byte("YW55=GNhcm5hbCBwbGVhc3VyZS4="))
	f.Fuzz(func(t *testing.T, in []byte) {
		requireDecodeBase64(t, in)
	})
}
