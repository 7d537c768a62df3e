package raft

// openDurableStores opens the real on-disk stores (package wal) in dir. It
// is set by durable_test.go, an external test file, because package wal
// imports package raft.
var openDurableStores func(dir string) (LogStore, StableStore, SnapshotStore, error)

// SetDurableStores lets the external test package provide the WAL stores.
func SetDurableStores(f func(dir string) (LogStore, StableStore, SnapshotStore, error)) {
	openDurableStores = f
}
