// Package records declares the CRDT records a data-warehouse cluster
// replicates: the table catalog and per-node statistics.
//
// This package is a schema: crdtgen reads it and emits the records with
// their merge, delta, garbage-collection and codec methods into
// gen/records. Nothing imports it at run time. Field numbers (wire:"N") are
// part of the wire format: never reuse or renumber one.
package records

import "github.com/dwsdk/distributed/runtime/crdt"

// PartitionInfo describes one partition of a table.
//
//crdt:record
type PartitionInfo struct {
	// RowCount is the partition's row count; every loader adds what it wrote.
	RowCount crdt.PNCounter `wire:"1"`
	// SizeBytes is the partition's stored size in bytes.
	SizeBytes crdt.PNCounter `wire:"2"`
	// Leader is the node serving the partition's writes.
	Leader crdt.LWWRegister[string] `wire:"3"`
	// Replicas are the nodes holding a copy.
	Replicas crdt.ORSet[string] `wire:"4"`
}

// TableCatalogEntry is one table of the catalog.
//
//crdt:record
type TableCatalogEntry struct {
	// RowCount is the table's row count.
	RowCount crdt.PNCounter `wire:"1"`
	// Tags are free-form labels ("pii", "hot", ...).
	Tags crdt.ORSet[string] `wire:"2"`
	// Owner is the team owning the table.
	Owner crdt.LWWRegister[string] `wire:"3"`
	// Partitions maps a partition key to its description.
	Partitions crdt.ORMap[string, PartitionInfo] `wire:"4"`
	// SchemaVersion keeps concurrently deployed schema versions until one
	// supersedes them.
	SchemaVersion crdt.MVRegister[int64] `wire:"5"`
	// Readers are the roles allowed to read the table.
	Readers crdt.ORSet[string] `wire:"6" json:"allowed_readers"`
}

// NodeStats are one node's statistics.
//
//crdt:record
type NodeStats struct {
	// QueriesServed counts queries the node answered.
	QueriesServed crdt.GCounter `wire:"1"`
	// BytesScanned counts bytes the node read.
	BytesScanned crdt.GCounter `wire:"2"`
	// ActiveSessions is the number of open sessions.
	ActiveSessions crdt.PNCounter `wire:"3"`
	// Status is the node's last reported status.
	Status crdt.LWWRegister[string] `wire:"4"`
	// Healthy says whether the node passed its last health check.
	Healthy crdt.LWWRegister[bool] `wire:"5"`
}

// Cluster is the replicated state of a whole cluster.
//
//crdt:record
type Cluster struct {
	// Tables is the catalog, by table name.
	Tables crdt.ORMap[string, TableCatalogEntry] `wire:"1"`
	// Nodes are the statistics, by node name.
	Nodes crdt.ORMap[string, NodeStats] `wire:"2"`
	// Features are the cluster-wide feature flags switched on.
	Features crdt.ORSet[string] `wire:"3"`
	// Epoch counts cluster-wide reconfigurations.
	Epoch crdt.GCounter `wire:"4"`
}
