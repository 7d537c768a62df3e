// Package recfile holds the on-disk building blocks shared by the
// runtime's durable stores (runtime/raft/wal's segmented log and
// runtime/crdt/replica/durable's state log): CRC32C-framed records, files
// replaced atomically, and the fsync helpers that make both durable.
//
// A record frames one payload:
//
//	length u32 | crc32c(payload) u32 | crc32c(length, payload crc) u32 | payload
//
// all little-endian. The header checksum protects the length, so a flipped
// bit in a length field is reported as corruption instead of being mistaken
// for a record torn by a crash (which would silently drop what follows).
//
// Usage:
//
//	buf, start := recfile.Begin(buf)
//	buf = append(buf, payload...)
//	recfile.Finish(buf, start)
//	// ... write buf, recfile.SyncData(f)
//	payload, next, st := recfile.Read(data, off)
//	if st != recfile.OK && recfile.Torn(data, off, next, st) { /* truncate at off */ }
//
// The package is internal: its users decide what a damaged record means for
// them and report it with their own error types.
package recfile
