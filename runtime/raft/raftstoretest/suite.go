// Package raftstoretest holds the conformance suite every raft.LogStore must
// pass (appends, conflicts, TruncatePrefix, Reset, bounds, concurrency and,
// for durable stores, all of it across a reopen): run it from the tests of
// an implementation.
//
//	func TestConformance(t *testing.T) {
//		raftstoretest.RunLogStore(t, raftstoretest.Harness{
//			Open:   func(t *testing.T) raft.LogStore { return newStore(t) },
//			Reopen: func(t *testing.T, s raft.LogStore) raft.LogStore { return reopen(t, s) },
//		})
//	}
package raftstoretest

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/raft"
)

// Harness tells the suite how to make stores.
type Harness struct {
	// Open returns a new, empty store. The suite closes it.
	Open func(t *testing.T) raft.LogStore
	// Reopen closes s and opens the same storage again, as after a restart.
	// Nil for stores that keep nothing across Close (the restart cases are
	// then not run).
	Reopen func(t *testing.T, s raft.LogStore) raft.LogStore
}

// Ents returns entries lo..hi inclusive with term and data derived from the
// index by Data (term is the given one).
func Ents(lo, hi, term uint64) []raftwire.Entry {
	var es []raftwire.Entry
	for i := lo; i <= hi; i++ {
		es = append(es, raftwire.Entry{Index: i, Term: term, Type: raftwire.EntryNormal, Data: Data(i, term)})
	}
	return es
}

// Data is the payload Ents gives entry index of term.
func Data(index, term uint64) []byte {
	return []byte(fmt.Sprintf("entry-%d-term-%d", index, term))
}

// step is one operation of a scenario.
type step struct {
	append   []raftwire.Entry
	prefix   uint64 // TruncatePrefix(prefix) when > 0
	reset    bool   // Reset(resetTo)
	resetTo  uint64
	reopen   bool
	wantErr  error // errors.Is target for this step's operation
	anyError bool  // the operation must fail, with any error
}

// want is the state a scenario must end in: entries [first, last] with the
// given terms (terms[i] is the term of first+i).
type want struct {
	first, last uint64
	terms       []uint64
}

type scenario struct {
	name    string
	durable bool // uses reopen
	steps   []step
	want    want
}

func terms(n int, t uint64) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = t
	}
	return out
}

func cat(ts ...[]uint64) []uint64 {
	var out []uint64
	for _, t := range ts {
		out = append(out, t...)
	}
	return out
}

var scenarios = []scenario{
	{name: "empty", want: want{first: 1, last: 0}},
	{name: "append", steps: []step{{append: Ents(1, 10, 1)}}, want: want{1, 10, terms(10, 1)}},
	{name: "append in batches", steps: []step{{append: Ents(1, 3, 1)}, {append: Ents(4, 4, 1)}, {append: Ents(5, 9, 2)}},
		want: want{1, 9, cat(terms(4, 1), terms(5, 2))}},
	{name: "empty append is a no-op", steps: []step{{append: Ents(1, 2, 1)}, {append: nil}}, want: want{1, 2, terms(2, 1)}},
	{name: "gap refused", steps: []step{{append: Ents(1, 3, 1)}, {append: Ents(5, 6, 1), anyError: true}},
		want: want{1, 3, terms(3, 1)}},
	{name: "non-contiguous batch refused", steps: []step{{append: append(Ents(1, 2, 1), Ents(4, 4, 1)...), anyError: true}},
		want: want{1, 0, nil}},
	{name: "conflicting suffix replaced", steps: []step{{append: Ents(1, 10, 1)}, {append: Ents(6, 7, 2)}},
		want: want{1, 7, cat(terms(5, 1), terms(2, 2))}},
	{name: "conflict at the first entry", steps: []step{{append: Ents(1, 5, 1)}, {append: Ents(1, 2, 3)}},
		want: want{1, 2, terms(2, 3)}},
	{name: "conflict at the last entry", steps: []step{{append: Ents(1, 5, 1)}, {append: Ents(5, 8, 2)}},
		want: want{1, 8, cat(terms(4, 1), terms(4, 2))}},
	{name: "truncate prefix", steps: []step{{append: Ents(1, 10, 1)}, {prefix: 4}}, want: want{5, 10, terms(6, 1)}},
	{name: "truncate prefix at last empties the log", steps: []step{{append: Ents(1, 10, 1)}, {prefix: 10}},
		want: want{11, 10, nil}},
	{name: "truncate prefix beyond last", steps: []step{{append: Ents(1, 10, 1)}, {prefix: 20}, {append: Ents(21, 22, 3)}},
		want: want{21, 22, terms(2, 3)}},
	{name: "truncate prefix below first is a no-op", steps: []step{{append: Ents(1, 10, 1)}, {prefix: 4}, {prefix: 2}},
		want: want{5, 10, terms(6, 1)}},
	{name: "append below first refused", steps: []step{{append: Ents(1, 10, 1)}, {prefix: 4}, {append: Ents(3, 6, 2), anyError: true}},
		want: want{5, 10, terms(6, 1)}},
	{name: "conflict at first after prefix", steps: []step{{append: Ents(1, 10, 1)}, {prefix: 4}, {append: Ents(5, 6, 2)}},
		want: want{5, 6, terms(2, 2)}},
	{name: "after empty-making truncation the next index is index+1",
		steps: []step{{append: Ents(1, 3, 1)}, {prefix: 7}, {append: Ents(7, 7, 1), anyError: true}, {append: Ents(8, 9, 2)}},
		want:  want{8, 9, terms(2, 2)}},

	{name: "reset discards every entry", steps: []step{{append: Ents(1, 10, 1)}, {reset: true, resetTo: 4}},
		want: want{5, 4, nil}},
	{name: "after reset the next index is index+1",
		steps: []step{{append: Ents(1, 10, 1)}, {reset: true, resetTo: 4}, {append: Ents(4, 4, 2), anyError: true}, {append: Ents(6, 6, 2), anyError: true}, {append: Ents(5, 7, 2)}},
		want:  want{5, 7, terms(3, 2)}},
	{name: "reset beyond last", steps: []step{{append: Ents(1, 3, 1)}, {reset: true, resetTo: 7}, {append: Ents(8, 9, 2)}},
		want: want{8, 9, terms(2, 2)}},
	{name: "reset below first", steps: []step{{append: Ents(1, 10, 1)}, {prefix: 6}, {reset: true, resetTo: 3}, {append: Ents(4, 5, 2)}},
		want: want{4, 5, terms(2, 2)}},
	{name: "reset of an empty store", steps: []step{{reset: true, resetTo: 0}, {append: Ents(1, 2, 1)}},
		want: want{1, 2, terms(2, 1)}},

	{name: "reopen keeps entries", durable: true, steps: []step{{append: Ents(1, 10, 1)}, {reopen: true}, {append: Ents(11, 12, 2)}},
		want: want{1, 12, cat(terms(10, 1), terms(2, 2))}},
	{name: "reopen empty", durable: true, steps: []step{{reopen: true}}, want: want{1, 0, nil}},
	{name: "reopen after suffix truncation", durable: true,
		steps: []step{{append: Ents(1, 10, 1)}, {append: Ents(4, 5, 2)}, {reopen: true}},
		want:  want{1, 5, cat(terms(3, 1), terms(2, 2))}},
	{name: "reopen after prefix truncation", durable: true,
		steps: []step{{append: Ents(1, 10, 1)}, {prefix: 6}, {reopen: true}, {append: Ents(11, 11, 2)}},
		want:  want{7, 11, cat(terms(4, 1), terms(1, 2))}},
	{name: "reopen after emptying prefix truncation", durable: true,
		steps: []step{{append: Ents(1, 10, 1)}, {prefix: 15}, {reopen: true}, {append: Ents(16, 17, 2)}, {reopen: true}},
		want:  want{16, 17, terms(2, 2)}},
	{name: "reopen twice", durable: true,
		steps: []step{{append: Ents(1, 5, 1)}, {reopen: true}, {append: Ents(3, 8, 2)}, {reopen: true}, {prefix: 3}, {reopen: true}},
		want:  want{4, 8, terms(5, 2)}},
	{name: "reopen after reset", durable: true,
		steps: []step{{append: Ents(1, 10, 1)}, {reset: true, resetTo: 4}, {reopen: true}},
		want:  want{5, 4, nil}},
	{name: "reopen after reset and append", durable: true,
		steps: []step{{append: Ents(1, 10, 1)}, {reset: true, resetTo: 4}, {append: Ents(5, 6, 2)}, {reopen: true}, {append: Ents(7, 7, 2)}, {reopen: true}},
		want:  want{5, 7, terms(3, 2)}},
}

// RunLogStore runs the conformance suite against the stores h makes.
func RunLogStore(t *testing.T, h Harness) {
	t.Helper()
	for _, sc := range scenarios {
		if sc.durable && h.Reopen == nil {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			s := h.Open(t)
			defer func() { s.Close() }()
			for i, st := range sc.steps {
				var err error
				switch {
				case st.reopen:
					s = h.Reopen(t, s)
					continue
				case st.prefix > 0:
					err = s.TruncatePrefix(st.prefix)
				case st.reset:
					err = s.Reset(st.resetTo)
				default:
					err = s.Append(st.append)
				}
				switch {
				case st.wantErr != nil:
					require.ErrorIsf(t, err, st.wantErr, "step %d", i)
				case st.anyError:
					require.Errorf(t, err, "step %d must fail", i)
				default:
					require.NoErrorf(t, err, "step %d", i)
				}
			}
			CheckContents(t, s, sc.want.first, sc.want.last, sc.want.terms)
		})
	}
	t.Run("bounds", func(t *testing.T) { testBounds(t, h) })
	t.Run("max bytes", func(t *testing.T) { testMaxBytes(t, h) })
	t.Run("closed", func(t *testing.T) { testClosed(t, h) })
	t.Run("concurrent", func(t *testing.T) { testConcurrent(t, h) })
}

// CheckContents asserts that s holds exactly the entries [first, last] with
// the given terms and the data Ents gives them.
func CheckContents(t *testing.T, s raft.LogStore, first, last uint64, terms []uint64) {
	t.Helper()
	fi, err := s.FirstIndex()
	require.NoError(t, err)
	li, err := s.LastIndex()
	require.NoError(t, err)
	require.Equal(t, first, fi, "FirstIndex")
	require.Equal(t, last, li, "LastIndex")
	require.Len(t, terms, int(last+1-first))
	if last < first {
		return
	}
	es, err := s.Entries(first, last+1, 0)
	require.NoError(t, err)
	require.Len(t, es, len(terms))
	for i, e := range es {
		idx := first + uint64(i)
		require.Equal(t, idx, e.Index)
		require.Equal(t, terms[i], e.Term, "term of %d", idx)
		require.True(t, bytes.Equal(Data(idx, terms[i]), e.Data), "data of %d: %q", idx, e.Data)
		tm, err := s.Term(idx)
		require.NoError(t, err)
		require.Equal(t, terms[i], tm)
		one, err := s.Entries(idx, idx+1, 0)
		require.NoError(t, err)
		require.Equal(t, e, one[0])
	}
}

func testBounds(t *testing.T, h Harness) {
	s := h.Open(t)
	defer s.Close()
	_, err := s.Term(1)
	require.ErrorIs(t, err, raft.ErrUnavailable, "Term above last of an empty store")
	require.NoError(t, s.Append(Ents(1, 10, 1)))
	require.NoError(t, s.TruncatePrefix(3))
	_, err = s.Term(3)
	require.ErrorIs(t, err, raft.ErrCompacted)
	_, err = s.Term(11)
	require.ErrorIs(t, err, raft.ErrUnavailable)
	_, err = s.Entries(3, 5, 0)
	require.ErrorIs(t, err, raft.ErrCompacted)
	_, err = s.Entries(9, 12, 0)
	require.ErrorIs(t, err, raft.ErrUnavailable)
	es, err := s.Entries(4, 11, 0)
	require.NoError(t, err)
	require.Len(t, es, 7)
	es, err = s.Entries(6, 6, 0)
	require.NoError(t, err)
	require.Empty(t, es)
}

func testMaxBytes(t *testing.T, h Harness) {
	s := h.Open(t)
	defer s.Close()
	var es []raftwire.Entry
	for i := uint64(1); i <= 10; i++ {
		es = append(es, raftwire.Entry{Index: i, Term: 1, Data: bytes.Repeat([]byte{byte(i)}, 100)})
	}
	require.NoError(t, s.Append(es))
	for _, tc := range []struct{ max, want uint64 }{
		{0, 10}, {1, 1}, {99, 1}, {100, 1}, {199, 1}, {200, 2}, {250, 2}, {1000, 10}, {5000, 10},
	} {
		got, err := s.Entries(1, 11, tc.max)
		require.NoError(t, err)
		require.Lenf(t, got, int(tc.want), "maxBytes %d", tc.max)
		require.Equal(t, es[:tc.want], got)
	}
}

func testClosed(t *testing.T, h Harness) {
	s := h.Open(t)
	require.NoError(t, s.Append(Ents(1, 3, 1)))
	require.NoError(t, s.Close())
	_, err := s.FirstIndex()
	require.ErrorIs(t, err, raft.ErrClosed)
	_, err = s.LastIndex()
	require.ErrorIs(t, err, raft.ErrClosed)
	_, err = s.Term(1)
	require.ErrorIs(t, err, raft.ErrClosed)
	_, err = s.Entries(1, 2, 0)
	require.ErrorIs(t, err, raft.ErrClosed)
	require.ErrorIs(t, s.Append(Ents(4, 4, 1)), raft.ErrClosed)
	require.ErrorIs(t, s.TruncatePrefix(1), raft.ErrClosed)
	require.ErrorIs(t, s.Reset(1), raft.ErrClosed)
}

// testConcurrent appends from one goroutine (Raft's order) while others read.
func testConcurrent(t *testing.T, h Harness) {
	s := h.Open(t)
	defer s.Close()
	const n = 120
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	stop := make(chan struct{})
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 200; k++ { // bounded, so readers cannot starve the appender
				select {
				case <-stop:
					return
				default:
					runtime.Gosched() // let the appender run on a small machine
				}
				last, err := s.LastIndex()
				if err != nil {
					errs <- err
					return
				}
				if last == 0 {
					continue
				}
				lo := uint64(1)
				if last > 8 {
					lo = last - 8
				}
				es, err := s.Entries(lo, last+1, 0)
				if err != nil {
					errs <- err
					return
				}
				if uint64(len(es)) != last-lo+1 || !bytes.Equal(es[len(es)-1].Data, Data(last, 1)) {
					errs <- fmt.Errorf("read %d entries up to %d, last data %q", len(es), last, es[len(es)-1].Data)
					return
				}
			}
		}()
	}
	for i := uint64(1); i <= n; i += 3 {
		require.NoError(t, s.Append(Ents(i, i+2, 1)))
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	CheckContents(t, s, 1, n, terms(n, 1))
}
