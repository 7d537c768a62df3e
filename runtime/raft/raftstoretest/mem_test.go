package raftstoretest_test

import (
	"testing"

	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/raftstoretest"
)

// TestMemLogStore holds the in-memory store to the contract the WAL meets.
func TestMemLogStore(t *testing.T) {
	raftstoretest.RunLogStore(t, raftstoretest.Harness{
		Open: func(*testing.T) raft.LogStore { return raft.NewMemLogStore() },
	})
}
