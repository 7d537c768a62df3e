package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/internal/recfile"
	"github.com/dwsdk/distributed/runtime/raft"
)

// SnapshotConfig tunes a SnapshotStore. Start from DefaultSnapshotConfig.
type SnapshotConfig struct {
	// Retain is how many complete snapshots are kept; older ones are
	// deleted when a new one is closed. At least 1.
	Retain int
	// Logger receives skipped and reaped snapshots. Nil means slog.Default().
	Logger *slog.Logger
}

// DefaultSnapshotConfig retains the two newest snapshots.
func DefaultSnapshotConfig() SnapshotConfig { return SnapshotConfig{Retain: 2} }

// SnapshotStore keeps snapshots as directories under one root, each holding
// a data file and a meta file. A snapshot is written into a temporary
// directory, fsynced, and renamed into place by SnapshotSink.Close, so Open
// only ever sees complete snapshots. The meta file carries the
// raftwire.SnapshotMeta and the CRC32C of the data, verified as the data is
// read. Safe for concurrent use.
type SnapshotStore struct {
	dir string
	cfg SnapshotConfig
	log *slog.Logger

	mu   sync.Mutex // serialises naming and reaping
	last string     // newest name handed out, to keep the names of one index increasing
}

const (
	snapTmpExt    = ".tmp"
	snapDataFile  = "data"
	snapMetaFile  = "meta"
	snapMetaMagic = "DWSNAPM\n"
)

// OpenSnapshotStore opens the snapshot store rooted at dir, creating it if
// needed and removing snapshots left incomplete by a crash.
func OpenSnapshotStore(dir string, cfg SnapshotConfig) (*SnapshotStore, error) {
	if cfg.Retain < 1 {
		return nil, fmt.Errorf("wal: snapshot config: Retain must be at least 1, got %d", cfg.Retain)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	s := &SnapshotStore{dir: dir, cfg: cfg, log: cfg.Logger.With("snapshots", dir)}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	for _, de := range des {
		if strings.HasSuffix(de.Name(), snapTmpExt) {
			s.log.Info("wal: removing incomplete snapshot", "name", de.Name())
			if err := os.RemoveAll(filepath.Join(dir, de.Name())); err != nil {
				return nil, fmt.Errorf("wal: remove incomplete snapshot: %w", err)
			}
		}
	}
	return s, nil
}

// Create starts a snapshot described by meta; see raft.SnapshotStore. The
// Size recorded is the number of bytes written to the sink.
func (s *SnapshotStore) Create(meta raftwire.SnapshotMeta) (raft.SnapshotSink, error) {
	s.mu.Lock()
	prefix := fmt.Sprintf("%020d-%020d-", meta.Index, meta.Term)
	name := fmt.Sprintf("%s%020d", prefix, time.Now().UnixNano())
	if strings.HasPrefix(s.last, prefix) && name <= s.last {
		// Two snapshots of one index within a clock tick: keep their
		// names ordered. Only then: a snapshot of a lower index created
		// after a higher one (a follower's own snapshot while it receives
		// the leader's) must sort below it, or Open would return it.
		name = s.last + "0"
	}
	s.last = name
	s.mu.Unlock()

	tmp := filepath.Join(s.dir, name+snapTmpExt)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("wal: create snapshot dir: %w", err)
	}
	f, err := os.Create(filepath.Join(tmp, snapDataFile))
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("wal: create snapshot data: %w", err)
	}
	sk := &sink{store: s, meta: meta, name: name, tmp: tmp, f: f, crc: crc32.New(recfile.Castagnoli)}
	sk.w = bufio.NewWriterSize(io.MultiWriter(f, sk.crc), 256<<10)
	return sk, nil
}

type sink struct {
	store *SnapshotStore
	meta  raftwire.SnapshotMeta
	name  string
	tmp   string
	f     *os.File
	crc   hash.Hash32
	w     *bufio.Writer
	n     uint64
	done  bool
}

func (k *sink) Write(p []byte) (int, error) {
	if k.done {
		return 0, raft.ErrClosed
	}
	n, err := k.w.Write(p)
	k.n += uint64(n)
	if err != nil {
		return n, fmt.Errorf("wal: write snapshot %s: %w", k.name, err)
	}
	return n, nil
}

// Close makes the snapshot durable and visible, then reaps old snapshots.
func (k *sink) Close() error {
	if k.done {
		return raft.ErrClosed
	}
	k.done = true
	err := k.w.Flush()
	if err == nil {
		err = k.f.Sync()
	}
	if cerr := k.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		k.meta.Size = k.n
		var p []byte
		p = binary.LittleEndian.AppendUint32(p, k.crc.Sum32())
		if p, err = k.meta.AppendBinary(p); err == nil {
			err = writeStateFile(filepath.Join(k.tmp, snapMetaFile), snapMetaMagic, p)
		}
	}
	if err == nil {
		err = os.Rename(k.tmp, filepath.Join(k.store.dir, k.name))
	}
	if err == nil {
		err = syncDir(k.store.dir)
	}
	if err != nil {
		os.RemoveAll(k.tmp)
		return fmt.Errorf("wal: finish snapshot %s: %w", k.name, err)
	}
	return k.store.reap()
}

// Cancel abandons the snapshot and removes what was written.
func (k *sink) Cancel() error {
	if k.done {
		return nil
	}
	k.done = true
	k.f.Close()
	if err := os.RemoveAll(k.tmp); err != nil {
		return fmt.Errorf("wal: cancel snapshot %s: %w", k.name, err)
	}
	return nil
}

// complete returns the names of complete snapshots, newest first.
func (s *SnapshotStore) complete() ([]string, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", s.dir, err)
	}
	var names []string
	for _, de := range des {
		if de.IsDir() && !strings.HasSuffix(de.Name(), snapTmpExt) {
			names = append(names, de.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	return names, nil
}

func (s *SnapshotStore) reap() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	names, err := s.complete()
	if err != nil || len(names) <= s.cfg.Retain {
		return err
	}
	for _, n := range names[s.cfg.Retain:] {
		s.log.Debug("wal: removing old snapshot", "name", n)
		if err := os.RemoveAll(filepath.Join(s.dir, n)); err != nil {
			return fmt.Errorf("wal: remove old snapshot %s: %w", n, err)
		}
	}
	return syncDir(s.dir)
}

// Open returns the newest complete snapshot; see raft.SnapshotStore. A
// snapshot whose meta is damaged is skipped (and logged) in favour of an
// older one; damage to the data is reported by the reader, as a
// *CorruptError, when the end of the data is reached.
func (s *SnapshotStore) Open() (raftwire.SnapshotMeta, io.ReadCloser, error) {
	names, err := s.complete()
	if err != nil {
		return raftwire.SnapshotMeta{}, nil, err
	}
	for _, n := range names {
		meta, rc, err := s.open(filepath.Join(s.dir, n))
		if err == nil {
			return meta, rc, nil
		}
		s.log.Warn("wal: skipping unreadable snapshot", "name", n, "err", err)
	}
	return raftwire.SnapshotMeta{}, nil, raft.ErrNoSnapshot
}

func (s *SnapshotStore) open(dir string) (raftwire.SnapshotMeta, io.ReadCloser, error) {
	var meta raftwire.SnapshotMeta
	path := filepath.Join(dir, snapMetaFile)
	p, err := readStateFile(path, snapMetaMagic)
	if errors.Is(err, errNoStateFile) {
		return meta, nil, fmt.Errorf("wal: snapshot %s has no meta file", dir)
	}
	if err != nil {
		return meta, nil, err
	}
	if len(p) < 4 {
		return meta, nil, corruptf(path, stateHeaderSize, "meta payload of %d bytes is too short", len(p))
	}
	if err := meta.UnmarshalBinary(p[4:]); err != nil {
		return meta, nil, corruptf(path, stateHeaderSize+4, "decode snapshot meta: %v", err)
	}
	dataPath := filepath.Join(dir, snapDataFile)
	f, err := os.Open(dataPath)
	if err != nil {
		return meta, nil, fmt.Errorf("wal: open snapshot data: %w", err)
	}
	fi, err := f.Stat()
	if err != nil || uint64(fi.Size()) != meta.Size {
		f.Close()
		if err == nil {
			err = corruptf(dataPath, fi.Size(), "data is %d bytes, meta says %d", fi.Size(), meta.Size)
		}
		return meta, nil, err
	}
	return meta, &snapReader{f: f, path: dataPath, want: binary.LittleEndian.Uint32(p), crc: crc32.New(recfile.Castagnoli)}, nil
}

// snapReader checks the data's CRC32C when it reaches the end.
type snapReader struct {
	f    *os.File
	path string
	want uint32
	crc  hash.Hash32
	off  int64
}

func (r *snapReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.crc.Write(p[:n])
	r.off += int64(n)
	if err == io.EOF && r.crc.Sum32() != r.want {
		return n, corruptf(r.path, r.off, "snapshot data checksum mismatch")
	}
	return n, err
}

func (r *snapReader) Close() error { return r.f.Close() }

var _ raft.SnapshotStore = (*SnapshotStore)(nil)
