package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/nodeapi"
)

func cmd(t *testing.T, op nodeapi.KVOp, k, v string) []byte {
	b, err := (&nodeapi.KVCommand{Op: op, Key: k, Value: v}).MarshalBinary()
	require.NoError(t, err)
	return b
}

func TestKVFSM(t *testing.T) {
	f := newKVFSM()
	p, err := f.apply(1, cmd(t, nodeapi.KVPut, "a", "1"))
	require.NoError(t, err)
	require.Equal(t, nodeapi.KVPair{Key: "a", Value: "1", Found: true, Index: 1}, p)
	_, err = f.apply(2, cmd(t, nodeapi.KVPut, "b", "2"))
	require.NoError(t, err)
	p, err = f.apply(3, cmd(t, nodeapi.KVDelete, "a", ""))
	require.NoError(t, err)
	require.True(t, p.Found)
	require.Equal(t, nodeapi.KVPair{Key: "a", Index: 3}, f.get("a"))

	_, err = f.apply(4, []byte{0xff, 0xff, 0xff})
	require.ErrorContains(t, err, "kv: entry 4")
	_, err = f.apply(5, cmd(t, 9, "a", ""))
	require.ErrorContains(t, err, "unknown operation 9")
	require.Equal(t, uint64(5), f.get("b").Index, "a skipped entry must still count as applied")

	snap, idx, err := f.snapshot()
	require.NoError(t, err)
	require.Equal(t, uint64(5), idx)
	g := newKVFSM()
	require.NoError(t, g.restore(snap, 5))
	require.Equal(t, nodeapi.KVPair{Key: "b", Value: "2", Found: true, Index: 5}, g.get("b"))
	require.Error(t, g.restore([]byte{0xff, 0x01}, 6))
	require.Equal(t, "2", g.get("b").Value, "a failed restore must keep the state")
}
