package wire

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// Decoder reads the binary format from a byte slice with every length and
// count checked against the bytes that remain, so no input can make it panic
// or allocate more than the input justifies. Generated UnmarshalBinary
// methods create one on the stack and pass it down to nested messages.
//
// Decoded strings and byte slices are copied out of the input into one
// arena allocation (see arena), so a decoded message never aliases the input
// and costs a few allocations however many fields it has.
type Decoder struct {
	buf   []byte
	pos   int
	end   int // end of the current message or list
	depth int
	mem   arena
}

// NewDecoder returns a Decoder over b.
func NewDecoder(b []byte) Decoder { return Decoder{buf: b, end: len(b), mem: arena{size: len(b)}} }

// Offset is the current byte offset.
func (d *Decoder) Offset() int { return d.pos }

// More reports whether the current message or list has bytes left.
func (d *Decoder) More() bool { return d.pos < d.end }

func (d *Decoder) errAt(off int, sentinel error, msg string) error {
	if msg == "" {
		return errorAt(off, sentinel)
	}
	return errorAt(off, newDetail(sentinel, msg))
}

func (d *Decoder) wrongType(got, want int) error {
	return d.errAt(d.pos, ErrWireType, "wire type "+strconv.Itoa(got)+", want "+strconv.Itoa(want))
}

// uvarint reads a varint without a wire type check.
func (d *Decoder) uvarint() (uint64, error) {
	if d.pos < d.end {
		if c := d.buf[d.pos]; c < 0x80 {
			d.pos++
			return uint64(c), nil
		}
	}
	start := d.pos
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if d.pos >= d.end {
			return 0, d.errAt(start, ErrTruncated, "varint runs past the end of input")
		}
		c := d.buf[d.pos]
		d.pos++
		if shift == 63 && c > 1 {
			return 0, d.errAt(start, ErrOverflow, "varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
}

// Tag reads a field tag and returns its field number and wire type.
func (d *Decoder) Tag() (num int, typ int, err error) {
	if d.pos < d.end {
		if c := d.buf[d.pos]; c < 0x80 && c >= 8 {
			d.pos++
			return int(c >> 3), int(c & 7), nil
		}
	}
	return d.tagSlow()
}

func (d *Decoder) tagSlow() (num int, typ int, err error) {
	start := d.pos
	v, err := d.uvarint()
	if err != nil {
		return 0, 0, err
	}
	num, typ = int(v>>3), int(v&7)
	if v>>3 == 0 || v>>3 > MaxFieldNumber {
		return 0, 0, d.errAt(start, ErrSyntax, "invalid field number "+strconv.FormatUint(v>>3, 10))
	}
	return num, typ, nil
}

// Uvarint reads an unsigned varint of the given bit size (8, 16, 32 or 64).
func (d *Decoder) Uvarint(typ, bitSize int) (uint64, error) {
	if typ == TypeVarint && d.pos < d.end {
		if c := d.buf[d.pos]; c < 0x80 {
			d.pos++
			return uint64(c), nil
		}
	}
	return d.uvarintSlow(typ, bitSize)
}

func (d *Decoder) uvarintSlow(typ, bitSize int) (uint64, error) {
	if typ != TypeVarint {
		return 0, d.wrongType(typ, TypeVarint)
	}
	start := d.pos
	v, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if bitSize < 64 && v>>uint(bitSize) != 0 {
		return 0, d.errAt(start, ErrOverflow, "value "+strconv.FormatUint(v, 10)+" overflows uint"+strconv.Itoa(bitSize))
	}
	return v, nil
}

// Varint reads a zigzag-encoded signed varint of the given bit size.
func (d *Decoder) Varint(typ, bitSize int) (int64, error) {
	if typ == TypeVarint && d.pos < d.end {
		if c := d.buf[d.pos]; c < 0x80 {
			d.pos++
			return Unzigzag(uint64(c)), nil
		}
	}
	return d.varintSlow(typ, bitSize)
}

func (d *Decoder) varintSlow(typ, bitSize int) (int64, error) {
	if typ != TypeVarint {
		return 0, d.wrongType(typ, TypeVarint)
	}
	start := d.pos
	u, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	v := Unzigzag(u)
	if bitSize < 64 {
		lim := int64(1) << uint(bitSize-1)
		if v < -lim || v >= lim {
			return 0, d.errAt(start, ErrOverflow, "value "+strconv.FormatInt(v, 10)+" overflows int"+strconv.Itoa(bitSize))
		}
	}
	return v, nil
}

// Bool reads a varint that must be 0 or 1.
func (d *Decoder) Bool(typ int) (bool, error) {
	if typ != TypeVarint {
		return false, d.wrongType(typ, TypeVarint)
	}
	if d.pos < d.end {
		switch d.buf[d.pos] {
		case 0:
			d.pos++
			return false, nil
		case 1:
			d.pos++
			return true, nil
		}
		return false, d.errAt(d.pos, ErrSyntax, "invalid bool byte 0x"+strconv.FormatUint(uint64(d.buf[d.pos]), 16))
	}
	return false, d.errAt(d.pos, ErrTruncated, "")
}

// Float32 reads a fixed 32-bit float.
func (d *Decoder) Float32(typ int) (float32, error) {
	if typ != TypeFixed32 {
		return 0, d.wrongType(typ, TypeFixed32)
	}
	if d.end-d.pos < 4 {
		return 0, d.errAt(d.pos, ErrTruncated, "float32 needs 4 bytes, "+strconv.Itoa(d.end-d.pos)+" remain")
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(d.buf[d.pos:]))
	d.pos += 4
	return v, nil
}

// Float64 reads a fixed 64-bit float.
func (d *Decoder) Float64(typ int) (float64, error) {
	if typ != TypeFixed64 {
		return 0, d.wrongType(typ, TypeFixed64)
	}
	if d.end-d.pos < 8 {
		return 0, d.errAt(d.pos, ErrTruncated, "float64 needs 8 bytes, "+strconv.Itoa(d.end-d.pos)+" remain")
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.buf[d.pos:]))
	d.pos += 8
	return v, nil
}

// length reads a length prefix and checks it against the remaining bytes.
func (d *Decoder) length(typ int) (int, error) {
	if typ == TypeLen && d.pos < d.end {
		if c := d.buf[d.pos]; c < 0x80 && int(c) < d.end-d.pos {
			d.pos++
			return int(c), nil
		}
	}
	return d.lengthSlow(typ)
}

func (d *Decoder) lengthSlow(typ int) (int, error) {
	if typ != TypeLen {
		return 0, d.wrongType(typ, TypeLen)
	}
	start := d.pos
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if rem := d.end - d.pos; n > uint64(rem) {
		return 0, d.errAt(start, ErrTruncated, "length "+strconv.FormatUint(n, 10)+" exceeds remaining "+strconv.Itoa(rem)+" bytes")
	}
	return int(n), nil
}

// String reads a length-prefixed string. Invalid UTF-8 is kept as is: the
// binary format carries bytes.
func (d *Decoder) String(typ int) (string, error) {
	n, err := d.length(typ)
	if err != nil {
		return "", err
	}
	s := d.mem.string(d.buf[d.pos : d.pos+n])
	d.pos += n
	return s, nil
}

// Bytes reads a length-prefixed byte slice into a new slice (never nil).
func (d *Decoder) Bytes(typ int) ([]byte, error) {
	n, err := d.length(typ)
	if err != nil {
		return nil, err
	}
	p := d.mem.bytes(d.buf[d.pos : d.pos+n])
	d.pos += n
	return p, nil
}

// Time reads a time written by AppendTime.
func (d *Decoder) Time(typ int) (time.Time, error) {
	start := d.pos
	n, err := d.length(typ)
	if err != nil {
		return time.Time{}, err
	}
	p := d.buf[d.pos : d.pos+n]
	var t time.Time
	if err := t.UnmarshalBinary(p); err != nil {
		return time.Time{}, d.errAt(start, ErrSyntax, err.Error())
	}
	d.pos += n
	if len(p) == 16 && p[0] == 2 && int8(p[15]) < 0 {
		// Version 2 ends with the seconds of the zone offset as a signed
		// byte, which Time.UnmarshalBinary (Go 1.26) reads unsigned: a
		// negative offset with seconds (local mean time west of Greenwich)
		// comes back 256 seconds off (golang/go#78528). Put the zone right
		// as Time.UnmarshalBinary would have (Local when it matches), unless
		// the bytes are ones Time.AppendBinary cannot have written and the
		// offset they mean could not be encoded again.
		off := int(int16(binary.BigEndian.Uint16(p[13:])))*60 + int(int8(p[15]))
		if m := off / 60; m >= math.MinInt16 && m != -1 {
			if _, local := t.In(time.Local).Zone(); local == off {
				return t.In(time.Local), nil
			}
			return t.In(time.FixedZone("", off)), nil
		}
	}
	return t, nil
}

// Frame is the state BeginMessage and BeginList save; pass it back to
// EndMessage or EndList.
type Frame struct{ end int }

// BeginMessage reads the length prefix of a nested message and narrows the
// decoder to it. It fails with ErrDepth beyond MaxDepth levels.
func (d *Decoder) BeginMessage(typ int) (Frame, error) {
	n, err := d.length(typ)
	if err != nil {
		return Frame{}, err
	}
	if d.depth >= MaxDepth {
		return Frame{}, d.errAt(d.pos, ErrDepth, "messages nest deeper than "+strconv.Itoa(MaxDepth))
	}
	d.depth++
	f := Frame{end: d.end}
	d.end = d.pos + n
	return f, nil
}

// EndMessage restores the frame saved by BeginMessage.
func (d *Decoder) EndMessage(f Frame) {
	d.depth--
	d.end = f.end
}

// BeginList reads the length prefix and element count of a slice or map.
// Every element takes at least minElemSize bytes, so a count the remaining
// bytes cannot hold is refused before anything is allocated.
func (d *Decoder) BeginList(typ int, minElemSize int) (Frame, int, error) {
	n, err := d.length(typ)
	if err != nil {
		return Frame{}, 0, err
	}
	f := Frame{end: d.end}
	d.end = d.pos + n
	start := d.pos
	c, err := d.uvarint()
	if err != nil {
		d.end = f.end
		return Frame{}, 0, err
	}
	if rem := d.end - d.pos; c > uint64(rem/minElemSize) {
		d.end = f.end
		return Frame{}, 0, d.errAt(start, ErrTruncated, "count "+strconv.FormatUint(c, 10)+" exceeds remaining "+strconv.Itoa(rem)+" bytes")
	}
	return f, int(c), nil
}

// EndList checks the list was consumed exactly and restores the frame.
func (d *Decoder) EndList(f Frame) error {
	if d.pos != d.end {
		return d.errAt(d.pos, ErrSyntax, strconv.Itoa(d.end-d.pos)+" unread bytes at the end of a list")
	}
	d.end = f.end
	return nil
}

// Skip skips the value of an unknown field by its wire type.
func (d *Decoder) Skip(typ int) error {
	switch typ {
	case TypeVarint:
		_, err := d.uvarint()
		return err
	case TypeFixed64:
		if d.end-d.pos < 8 {
			return d.errAt(d.pos, ErrTruncated, "")
		}
		d.pos += 8
	case TypeFixed32:
		if d.end-d.pos < 4 {
			return d.errAt(d.pos, ErrTruncated, "")
		}
		d.pos += 4
	case TypeLen:
		n, err := d.length(typ)
		if err != nil {
			return err
		}
		d.pos += n
	default:
		return d.errAt(d.pos, ErrWireType, "undefined wire type "+strconv.Itoa(typ))
	}
	return nil
}
