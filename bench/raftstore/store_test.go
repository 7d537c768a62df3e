// Package raftstore benchmarks durable Raft log stores side by side: the
// segmented WAL of runtime/raft/wal (impl=ours) against
// hashicorp/raft-boltdb v2 (impl=raftboltdb), both with fsync on.
package raftstore

import (
	"bytes"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	hraft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft/wal"
)

const (
	entrySize  = 128
	appenders  = 64
	batchSize  = 64
	entriesKey = "entries/s"
)

var payload = bytes.Repeat([]byte{0xab}, entrySize)

// store is what one benchmark drives: append entries [idx, idx+n) and wait
// until they are durable. appendOne may be called concurrently; the store
// orders the calls by index itself.
type store interface {
	appendOne(idx uint64) error
	appendBatch(first uint64, n int) error
	close() error
}

// ours orders concurrent appends under a lock and waits for the shared
// fsync outside it, as the Raft leader's write path does.
type ours struct {
	w    *wal.WAL
	mu   sync.Mutex
	next uint64
}

func openOurs(b *testing.B) store {
	w, err := wal.Open(filepath.Join(b.TempDir(), "wal"), wal.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	return &ours{w: w, next: 1}
}

func (s *ours) appendOne(uint64) error {
	s.mu.Lock()
	ch := s.w.AppendAsync([]raftwire.Entry{{Index: s.next, Term: 1, Data: payload}})
	s.next++
	s.mu.Unlock()
	return <-ch
}

func (s *ours) appendBatch(first uint64, n int) error {
	es := make([]raftwire.Entry, n)
	for i := range es {
		es[i] = raftwire.Entry{Index: first + uint64(i), Term: 1, Data: payload}
	}
	return s.w.Append(es)
}

func (s *ours) close() error { return s.w.Close() }

// bolt is raft-boltdb: a key-value store keyed by index, one transaction
// (and its fsyncs) per StoreLog/StoreLogs call.
type bolt struct{ s *raftboltdb.BoltStore }

func openBolt(b *testing.B) store {
	s, err := raftboltdb.NewBoltStore(filepath.Join(b.TempDir(), "raft.db"))
	if err != nil {
		b.Fatal(err)
	}
	return &bolt{s: s}
}

func (s *bolt) appendOne(idx uint64) error {
	return s.s.StoreLog(&hraft.Log{Index: idx, Term: 1, Type: hraft.LogCommand, Data: payload})
}

func (s *bolt) appendBatch(first uint64, n int) error {
	logs := make([]*hraft.Log, n)
	for i := range logs {
		logs[i] = &hraft.Log{Index: first + uint64(i), Term: 1, Type: hraft.LogCommand, Data: payload}
	}
	return s.s.StoreLogs(logs)
}

func (s *bolt) close() error { return s.s.Close() }

var impls = []struct {
	name string
	open func(*testing.B) store
}{
	{"ours", openOurs},
	{"raftboltdb", openBolt},
}

// BenchmarkDurableAppend measures fsynced appends of 128-byte entries; one
// op is one entry. mode=concurrent: 64 goroutines append one entry each
// at a time (ours shares fsyncs between them; raft-boltdb commits one
// transaction per call). mode=batch64: one goroutine appends batches of 64.
func BenchmarkDurableAppend(b *testing.B) {
	for _, impl := range impls {
		b.Run("mode=concurrent/impl="+impl.name, func(b *testing.B) {
			s := impl.open(b)
			defer s.close()
			var next atomic.Uint64
			var wg sync.WaitGroup
			errs := make(chan error, appenders)
			b.ResetTimer()
			for g := 0; g < appenders; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						idx := next.Add(1)
						if idx > uint64(b.N) {
							return
						}
						if err := s.appendOne(idx); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), entriesKey)
			if o, ok := s.(*ours); ok {
				st := o.w.Stats()
				b.ReportMetric(float64(st.Appends)/float64(st.Syncs), "appends/fsync")
			}
		})
		b.Run("mode=batch64/impl="+impl.name, func(b *testing.B) {
			s := impl.open(b)
			defer s.close()
			b.ResetTimer()
			for first := 1; first <= b.N; first += batchSize {
				if err := s.appendBatch(uint64(first), min(batchSize, b.N-first+1)); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), entriesKey)
		})
	}
}
