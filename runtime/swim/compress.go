package swim

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// Compression. A packet whose compound of messages is at least compressMin
// bytes is sent as a single msgCompressed message whose body is that
// compound deflated (RFC 1951, fastest level), when that is smaller. Join
// and failure news compound dozens of similar messages (names, addresses)
// into a packet, which deflate shrinks three- to fourfold. The receiver
// inflates at most maxInflated bytes per packet (or stream message), all
// its compressed messages together, and never a compressed message inside
// another. A member without compression skips the message type as unknown,
// so a cluster mixing it in must set Config.DisableCompression until every
// member supports it.
const (
	compressMin = 192
	maxInflated = 64 << 10
)

var deflaters = sync.Pool{New: func() any {
	w, err := flate.NewWriter(nil, flate.BestSpeed)
	if err != nil {
		panic(err) // only for an invalid level
	}
	return w
}}

var inflaters sync.Pool // of io.ReadCloser that are also flate.Resetter

// compressCompound returns compound as one framed msgCompressed message, or
// compound itself when compression would not make it smaller. The deflated
// body is written after room for the frame header, which then goes right
// in front of it: one allocation, no copy.
func compressCompound(compound []byte) []byte {
	if len(compound) < compressMin {
		return compound
	}
	const room = 1 + binary.MaxVarintLen32
	out := bytes.NewBuffer(make([]byte, room, room+len(compound)))
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(out)
	if _, err := w.Write(compound); err != nil {
		return compound
	}
	if err := w.Close(); err != nil {
		return compound
	}
	b := out.Bytes()
	var hdr [room]byte
	hdr[0] = byte(msgCompressed)
	h := 1 + binary.PutUvarint(hdr[1:], uint64(len(b)-room))
	framed := b[room-h:]
	copy(framed, hdr[:h])
	if len(framed) >= len(compound) {
		return compound
	}
	return framed
}

// inflate decompresses the body of a msgCompressed message, at most limit
// bytes of it.
func inflate(body []byte, limit int) ([]byte, error) {
	src := bytes.NewReader(body)
	var r io.ReadCloser
	if v := inflaters.Get(); v != nil {
		r = v.(io.ReadCloser)
		if err := r.(flate.Resetter).Reset(src, nil); err != nil {
			return nil, err
		}
	} else {
		r = flate.NewReader(src)
	}
	defer inflaters.Put(r)
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	switch {
	case err != nil:
		return nil, err
	case len(out) > limit:
		return nil, fmt.Errorf("inflates past %d bytes, the limit for all compressed messages of a packet", maxInflated)
	}
	return out, nil
}

// expandFrames replaces each msgCompressed frame by the messages it holds.
// Members send at most one per packet; the inflation limit is shared by
// all, or a packet of many small bombs (a stream message may be 32 MiB)
// would inflate to gigabytes.
func expandFrames(frames []frame) ([]frame, error) {
	i := 0
	for i < len(frames) && frames[i].t != msgCompressed {
		i++
	}
	if i == len(frames) {
		return frames, nil
	}
	out := append([]frame(nil), frames[:i]...)
	budget := maxInflated
	for _, f := range frames[i:] {
		if f.t != msgCompressed {
			out = append(out, f)
			continue
		}
		plain, err := inflate(f.body, budget)
		if err != nil {
			return nil, fmt.Errorf("%w: compressed message at offset %d: %v", ErrMalformed, f.off, err)
		}
		budget -= len(plain)
		inner, err := splitFrames(plain)
		if err != nil {
			return nil, fmt.Errorf("%w: in compressed message at offset %d: %v", ErrMalformed, f.off, err)
		}
		for _, g := range inner {
			if g.t == msgCompressed {
				return nil, fmt.Errorf("%w: compressed message at offset %d holds another at offset %d", ErrMalformed, f.off, g.off)
			}
		}
		out = append(out, inner...)
	}
	return out, nil
}
