package wal

import (
	"encoding/binary"
	"errors"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// The record payloads are raftwire messages. Until the generated binary
// codecs land, entries use this fixed layout:
// index u64 | term u64 | type u8 | data.

func appendEntry(b []byte, e *raftwire.Entry) ([]byte, error) {
	b = binary.LittleEndian.AppendUint64(b, e.Index)
	b = binary.LittleEndian.AppendUint64(b, e.Term)
	b = append(b, byte(e.Type))
	return append(b, e.Data...), nil
}

func decodeEntry(p []byte, e *raftwire.Entry) error {
	if len(p) < 17 {
		return errors.New("entry shorter than 17 bytes")
	}
	e.Index = binary.LittleEndian.Uint64(p)
	e.Term = binary.LittleEndian.Uint64(p[8:])
	e.Type = raftwire.EntryType(p[16])
	e.Data = append([]byte(nil), p[17:]...)
	return nil
}

func appendHardState(b []byte, hs *raftwire.HardState) ([]byte, error) {
	b = binary.LittleEndian.AppendUint64(b, hs.Term)
	return append(b, hs.Vote...), nil
}

func decodeHardState(p []byte, hs *raftwire.HardState) error {
	if len(p) < 8 {
		return errors.New("hard state shorter than 8 bytes")
	}
	hs.Term = binary.LittleEndian.Uint64(p)
	hs.Vote = string(p[8:])
	return nil
}

func appendSnapshotMeta(b []byte, m *raftwire.SnapshotMeta) ([]byte, error) {
	for _, v := range []uint64{m.Index, m.Term, m.ConfigIndex, m.Size, uint64(len(m.Configuration.Servers))} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	for _, s := range m.Configuration.Servers {
		b = binary.AppendUvarint(b, uint64(len(s.ID)))
		b = append(b, s.ID...)
		b = binary.AppendUvarint(b, uint64(len(s.Address)))
		b = append(b, s.Address...)
		b = append(b, byte(s.Suffrage))
	}
	return b, nil
}

func decodeSnapshotMeta(p []byte, m *raftwire.SnapshotMeta) error {
	if len(p) < 40 {
		return errors.New("snapshot meta shorter than 40 bytes")
	}
	m.Index = binary.LittleEndian.Uint64(p)
	m.Term = binary.LittleEndian.Uint64(p[8:])
	m.ConfigIndex = binary.LittleEndian.Uint64(p[16:])
	m.Size = binary.LittleEndian.Uint64(p[24:])
	n := binary.LittleEndian.Uint64(p[32:])
	p = p[40:]
	if n > uint64(len(p)) {
		return errors.New("snapshot meta server count exceeds its length")
	}
	str := func() (string, error) {
		l, k := binary.Uvarint(p)
		if k <= 0 || l > uint64(len(p)-k) {
			return "", errors.New("bad string length")
		}
		s := string(p[k : k+int(l)])
		p = p[k+int(l):]
		return s, nil
	}
	m.Configuration.Servers = make([]raftwire.Server, n)
	for i := range m.Configuration.Servers {
		s := &m.Configuration.Servers[i]
		var err error
		if s.ID, err = str(); err != nil {
			return err
		}
		if s.Address, err = str(); err != nil {
			return err
		}
		if len(p) < 1 {
			return errors.New("missing suffrage")
		}
		s.Suffrage, p = raftwire.Suffrage(p[0]), p[1:]
	}
	if len(p) != 0 {
		return errors.New("trailing bytes after snapshot meta")
	}
	return nil
}
