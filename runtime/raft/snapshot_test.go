package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// TestSnapshotInstallOverConflictingLog installs a snapshot on a follower
// whose WAL holds entries past the snapshot's index, among them a
// configuration entry, then restarts the follower from its WAL. When the
// entry at the snapshot's index has another term, the whole log conflicts
// with the snapshot and must be gone from the store (Raft, Figure 13, rule
// 7): the store used to keep the stale suffix after the snapshot index, and
// the restarted follower reloaded it and took the stale membership. When
// the entry matches, the entries following it are kept (rule 6).
func TestSnapshotInstallOverConflictingLog(t *testing.T) {
	members := func(ids ...string) raftwire.Configuration {
		var c raftwire.Configuration
		for _, id := range ids {
			c.Servers = append(c.Servers, raftwire.Server{ID: id, Address: id})
		}
		return c
	}
	current, stale := members("f", "l"), members("f", "x")
	cfgEntry := func(i uint64, c raftwire.Configuration) raftwire.Entry {
		data, err := encodeConfiguration(c)
		require.NoError(t, err)
		return raftwire.Entry{Index: i, Term: 1, Type: raftwire.EntryConfig, Data: data}
	}
	for _, tc := range []struct {
		name     string
		snapTerm uint64 // term of the snapshot's last entry (3); the log has term 1 there
		wantLast uint64
		wantConf raftwire.Configuration
		// crashBeforeCut stores the snapshot without installing it, as
		// a crash after storing it and before cutting the log leaves it.
		crashBeforeCut bool
	}{
		{"conflicting log is discarded", 2, 3, current, false},
		{"matching log keeps its suffix", 1, 5, stale, false},
		{"conflicting log is discarded after a crash before the cut", 2, 3, current, true},
		{"matching log keeps its suffix after a crash before the cut", 1, 5, stale, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			open := func() (LogStore, StableStore, SnapshotStore) {
				logs, stable, snaps, err := openDurableStores(dir)
				require.NoError(t, err)
				return logs, stable, snaps
			}
			logs, stable, snaps := open()
			require.NoError(t, logs.Append([]raftwire.Entry{
				cfgEntry(1, current),
				{Index: 2, Term: 1, Type: raftwire.EntryNormal},
				{Index: 3, Term: 1, Type: raftwire.EntryNormal},
				cfgEntry(4, stale), // never committed
				{Index: 5, Term: 1, Type: raftwire.EntryNormal},
			}))
			require.NoError(t, stable.SaveHardState(raftwire.HardState{Term: 1}))

			nw := NewNetwork(1)
			defer nw.Close()
			lt, err := nw.Transport("l")
			require.NoError(t, err)
			defer lt.Close()
			start := func(logs LogStore, stable StableStore, snaps SnapshotStore) *Node {
				tr, err := nw.Transport("f")
				require.NoError(t, err)
				cfg := testConfig("f")
				patientElections(&cfg)
				n, err := NewNode(cfg, Deps{FSM: newKV(), Logs: logs, Stable: stable, Snapshots: snaps, Transport: tr})
				require.NoError(t, err)
				return n
			}
			// restart reopens the stores and the follower and checks
			// what it holds.
			restart := func(t *testing.T, wantLast uint64, wantConf raftwire.Configuration) {
				logs, stable, snaps := open()
				defer logs.Close()
				n := start(logs, stable, snaps)
				defer n.Close()
				require.Equal(t, wantConf, n.Status().Configuration, "membership after the restart")
				require.Equal(t, wantLast, n.log.lastIndex(), "last index after the restart")
				last, err := logs.LastIndex()
				require.NoError(t, err)
				require.Equal(t, wantLast, last, "last index in the store after the restart")
			}
			if tc.crashBeforeCut {
				// The snapshot was stored, then the follower crashed
				// before its log was cut: NewNode must cut it.
				sink, err := snaps.Create(raftwire.SnapshotMeta{Index: 3, Term: tc.snapTerm, Configuration: current, ConfigIndex: 1})
				require.NoError(t, err)
				require.NoError(t, sink.Close())
				n := start(logs, stable, snaps)
				require.NoError(t, n.Close())
				require.NoError(t, logs.Close())
				restart(t, tc.wantLast, tc.wantConf)
				return
			}
			n := start(logs, stable, snaps)
			require.NoError(t, lt.Send("f", &raftwire.Message{From: "l", To: "f", FromAddr: "l", InstallSnapshot: &raftwire.InstallSnapshot{
				Term: 5, LeaderID: "l", LastIncludedIndex: 3, LastIncludedTerm: tc.snapTerm,
				Configuration: current, ConfigIndex: 1, Done: true,
			}}))
			deadline := time.After(5 * time.Second)
			for answered := false; !answered; {
				select {
				case m := <-lt.Inbound(): // skip anything else, a vote request
					if r := m.InstallSnapshotResponse; r != nil {
						require.True(t, r.Success)
						answered = true
					}
				case <-deadline:
					t.Fatal("no answer to the snapshot")
				}
			}
			waitFor(t, 5*time.Second, "the log cut at the snapshot", func() bool {
				first, err := logs.FirstIndex()
				return err == nil && first == 4
			})
			require.NoError(t, n.Close())
			require.NoError(t, logs.Close())
			restart(t, tc.wantLast, tc.wantConf)
		})
	}
}
