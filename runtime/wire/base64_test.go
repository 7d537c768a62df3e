package wire

import (
	"bytes"
	"encoding/base64"
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
