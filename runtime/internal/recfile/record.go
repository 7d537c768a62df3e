package recfile

import (
	"encoding/binary"
	"hash/crc32"
)

// HeaderSize is the size of a record header.
const HeaderSize = 12

// Castagnoli is the CRC32C table, also for streaming checksums (crc32.New).
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C returns the Castagnoli checksum of p.
func CRC32C(p []byte) uint32 { return crc32.Checksum(p, Castagnoli) }

// Begin reserves a record header at the end of b and returns where it
// starts; Finish fills it in once the payload has been appended after it.
func Begin(b []byte) ([]byte, int) {
	start := len(b)
	return append(b, make([]byte, HeaderSize)...), start
}

// Finish completes the record begun at start: everything after its header
// up to len(b) is the payload.
func Finish(b []byte, start int) {
	h := b[start : start+HeaderSize]
	p := b[start+HeaderSize:]
	binary.LittleEndian.PutUint32(h[0:], uint32(len(p)))
	binary.LittleEndian.PutUint32(h[4:], CRC32C(p))
	binary.LittleEndian.PutUint32(h[8:], CRC32C(h[:8]))
}

// Status classifies what Read found at an offset.
type Status int

const (
	OK         Status = iota
	Short             // header or payload runs past the end of the data
	BadHeader         // header checksum mismatch: the length cannot be trusted
	BadPayload        // payload checksum mismatch
)

// String says what is wrong, for error messages.
func (s Status) String() string {
	switch s {
	case Short:
		return "record runs past the end of the file"
	case BadHeader:
		return "record header checksum mismatch"
	case BadPayload:
		return "record payload checksum mismatch"
	}
	return "ok"
}

// Read parses the record at data[off:]. It returns the payload (aliasing
// data), the offset just past the record (meaningful unless the status is
// Short or BadHeader) and the status. It never allocates and never trusts a
// length it has not checked.
func Read(data []byte, off int) (payload []byte, next int, st Status) {
	if len(data)-off < HeaderSize {
		return nil, len(data), Short
	}
	h := data[off : off+HeaderSize]
	if CRC32C(h[:8]) != binary.LittleEndian.Uint32(h[8:]) {
		return nil, off, BadHeader
	}
	n := int64(binary.LittleEndian.Uint32(h[0:]))
	end := int64(off) + HeaderSize + n
	if end > int64(len(data)) {
		return nil, len(data), Short
	}
	payload = data[off+HeaderSize : end]
	if CRC32C(payload) != binary.LittleEndian.Uint32(h[4:]) {
		return nil, int(end), BadPayload
	}
	return payload, int(end), OK
}

// Torn reports whether a bad record at data[off:] (Read returned next and
// st) looks like the tail of an append cut short by a crash rather than
// damage: it runs past the end of the data, or nothing but zeros (a
// preallocated or partly written block) follows its start, or its payload
// checksum fails and only zeros follow it. Only the end of the last file of
// a log may be torn; anything else is corruption.
func Torn(data []byte, off, next int, st Status) bool {
	return st == Short || AllZero(data[off:]) || st == BadPayload && AllZero(data[next:])
}

// AllZero reports whether p holds only zero bytes.
func AllZero(p []byte) bool {
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}
