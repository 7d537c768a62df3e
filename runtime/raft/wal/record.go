package wal

import (
	"encoding/binary"
	"hash/crc32"
)

// A record frames one encoded entry:
//
//	length u32 | crc32c(payload) u32 | crc32c(length, payload crc) u32 | payload
//
// all little-endian. The header checksum protects the length, so a flipped
// bit in a length field is reported as corruption instead of being mistaken
// for a record torn by a crash (which would silently drop what follows).
const recordHeaderSize = 12

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc32c(p []byte) uint32 { return crc32.Checksum(p, castagnoli) }

// beginRecord reserves a record header at the end of b; finishRecord fills it
// in once the payload has been appended after it.
func beginRecord(b []byte) ([]byte, int) {
	start := len(b)
	return append(b, make([]byte, recordHeaderSize)...), start
}

func finishRecord(b []byte, start int) {
	h := b[start : start+recordHeaderSize]
	p := b[start+recordHeaderSize:]
	binary.LittleEndian.PutUint32(h[0:], uint32(len(p)))
	binary.LittleEndian.PutUint32(h[4:], crc32c(p))
	binary.LittleEndian.PutUint32(h[8:], crc32c(h[:8]))
}

// recordStatus classifies what was found at an offset of a segment.
type recordStatus int

const (
	recordOK         recordStatus = iota
	recordShort                   // header or payload runs past the end of the data
	recordBadHeader               // header checksum mismatch: the length cannot be trusted
	recordBadPayload              // payload checksum mismatch
)

func (s recordStatus) String() string {
	switch s {
	case recordShort:
		return "record runs past the end of the segment"
	case recordBadHeader:
		return "record header checksum mismatch"
	case recordBadPayload:
		return "record payload checksum mismatch"
	}
	return "ok"
}

// readRecord parses the record at data[off:]. It returns the payload, the
// offset just past the record (meaningful unless the status is
// recordShort or recordBadHeader) and the status. It never allocates.
func readRecord(data []byte, off int) (payload []byte, next int, st recordStatus) {
	if len(data)-off < recordHeaderSize {
		return nil, len(data), recordShort
	}
	h := data[off : off+recordHeaderSize]
	if crc32c(h[:8]) != binary.LittleEndian.Uint32(h[8:]) {
		return nil, off, recordBadHeader
	}
	n := int64(binary.LittleEndian.Uint32(h[0:]))
	end := int64(off) + recordHeaderSize + n
	if end > int64(len(data)) {
		return nil, len(data), recordShort
	}
	payload = data[off+recordHeaderSize : end]
	if crc32c(payload) != binary.LittleEndian.Uint32(h[4:]) {
		return nil, int(end), recordBadPayload
	}
	return payload, int(end), recordOK
}

func allZero(p []byte) bool {
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}
