package crdt

import (
	"bytes"
	"testing"

	"github.com/dwsdk/distributed/runtime/wire"
	"github.com/stretchr/testify/require"
)

func TestAppendLen(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 300, 20000} {
		payload := bytes.Repeat([]byte{7}, n)
		got := AppendLen([]byte("pre"), func(b []byte) []byte { return append(b, payload...) })
		want := wire.AppendBytes([]byte("pre"), payload)
		require.Equal(t, want, got, "n=%d", n)
	}
}
