package raft_test

import (
	"path/filepath"

	"github.com/dwsdk/distributed/runtime/raft"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

func init() {
	raft.SetDurableStores(func(dir string) (raft.LogStore, raft.StableStore, raft.SnapshotStore, error) {
		logs, err := wal.Open(filepath.Join(dir, "log"), wal.DefaultConfig())
		if err != nil {
			return nil, nil, nil, err
		}
		stable, err := wal.OpenStableStore(filepath.Join(dir, "state"))
		if err != nil {
			logs.Close()
			return nil, nil, nil, err
		}
		snaps, err := wal.OpenSnapshotStore(filepath.Join(dir, "snapshots"), wal.DefaultSnapshotConfig())
		if err != nil {
			logs.Close()
			return nil, nil, nil, err
		}
		return logs, stable, snaps, nil
	})
}
