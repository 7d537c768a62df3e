package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TestMalformedAppendEntriesRefused sends a follower AppendEntries whose
// entries cannot be a valid suffix of the leader's log. Each must be
// dropped without touching the log: appended, a gap made the store fail
// and stop the node, and a term out of order gave the follower a log no
// leader has (a last term above the current one wins it votes it must not
// get). A valid append afterwards is acknowledged.
func TestMalformedAppendEntriesRefused(t *testing.T) {
	ent := func(i, term uint64) raftwire.Entry { return raftwire.Entry{Index: i, Term: term, Data: []byte("x")} }
	for _, tc := range []struct {
		name string
		a    raftwire.AppendEntries
	}{
		{"gap between entries", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 1), ent(3, 1)}}},
		{"first entry not after prev", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(2, 1)}}},
		{"entries going back", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 1), ent(2, 1), ent(1, 1)}}},
		{"entry of a later term than the leader's", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 4)}}},
		{"terms decreasing", raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 2), ent(2, 1)}}},
		{"previous entry of a later term than the leader's", raftwire.AppendEntries{Term: 3, PrevLogTerm: 4, Entries: []raftwire.Entry{ent(1, 4)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nw := NewNetwork(1)
			defer nw.Close()
			tr, err := nw.Transport("f")
			require.NoError(t, err)
			lt, err := nw.Transport("l")
			require.NoError(t, err)
			defer lt.Close()
			cfg := testConfig("f")
			n, err := NewNode(cfg, Deps{FSM: newKV(), Logs: NewMemLogStore(), Stable: NewMemStableStore(),
				Snapshots: NewMemSnapshotStore(), Transport: tr})
			require.NoError(t, err)
			defer n.Close()

			send := func(a *raftwire.AppendEntries) {
				a.LeaderID = "l"
				require.NoError(t, lt.Send("f", &raftwire.Message{From: "l", To: "f", FromAddr: "l", AppendEntries: a}))
			}
			// answer waits for the answer to a heartbeat or to entries.
			answer := func(heartbeat bool) *raftwire.AppendEntriesResponse {
				deadline := time.After(5 * time.Second)
				for {
					select {
					case m := <-lt.Inbound():
						if r := m.AppendEntriesResponse; r != nil && r.Heartbeat == heartbeat {
							return r
						}
					case <-deadline:
						t.Fatalf("no answer; node error: %v", n.err())
					}
				}
			}
			bad := tc.a
			send(&bad)
			// The heartbeat is handled after the malformed append: its
			// answer shows the log untouched.
			send(&raftwire.AppendEntries{Term: 3, Heartbeat: true})
			r := answer(true)
			require.NoError(t, n.err())
			require.Zero(t, r.LastLogIndex, "the malformed entries were not appended")

			send(&raftwire.AppendEntries{Term: 3, Entries: []raftwire.Entry{ent(1, 1), ent(2, 3)}})
			r = answer(false)
			require.True(t, r.Success)
			require.Equal(t, uint64(2), r.LastLogIndex)
			require.NoError(t, n.err())
			last, err := n.log.store.LastIndex()
			require.NoError(t, err)
			require.Equal(t, uint64(2), last)
		})
	}
}
