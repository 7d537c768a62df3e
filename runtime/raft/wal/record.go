package wal

import "github.com/dwsdk/distributed/runtime/internal/recfile"

// Entries are framed as runtime/internal/recfile records (length and CRC32C
// of header and payload); these names keep the WAL's code readable.
const recordHeaderSize = recfile.HeaderSize

type recordStatus = recfile.Status

const (
	recordOK         = recfile.OK
	recordShort      = recfile.Short
	recordBadHeader  = recfile.BadHeader
	recordBadPayload = recfile.BadPayload
)

var (
	beginRecord  = recfile.Begin
	finishRecord = recfile.Finish
	readRecord   = recfile.Read
	syncData     = recfile.SyncData
)
