package raft

import (
	"fmt"
	"math"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// maxTerm is the last term a server may reach. The one after it, 2^64-1,
// would leave no room for another election: the term would wrap to 0 and
// stop increasing, so no server campaigns for it and a message carrying
// it is malformed.
const maxTerm = math.MaxUint64 - 1

// checkMessage reports why m cannot come from a correct server: a term
// above maxTerm, a log term above the term of the message carrying it (no
// server's log holds an entry of a term it has not reached), or
// AppendEntries entries that cannot follow PrevLogIndex. Such a message is
// dropped before any of it, its term included, is adopted.
func checkMessage(m *raftwire.Message) error {
	check := func(kind string, term, logTerm uint64, what string) error {
		if term > maxTerm {
			return fmt.Errorf("%s: term %d is above the last usable term %d", kind, term, uint64(maxTerm))
		}
		if logTerm > term {
			return fmt.Errorf("%s: %s %d is above its term %d", kind, what, logTerm, term)
		}
		return nil
	}
	switch {
	case m.RequestVote != nil:
		return check("RequestVote", m.RequestVote.Term, m.RequestVote.LastLogTerm, "last log term")
	case m.RequestVoteResponse != nil:
		return check("RequestVoteResponse", m.RequestVoteResponse.Term, 0, "")
	case m.AppendEntries != nil:
		if err := check("AppendEntries", m.AppendEntries.Term, 0, ""); err != nil {
			return err
		}
		if err := checkAppend(m.AppendEntries); err != nil {
			return fmt.Errorf("AppendEntries: %w", err)
		}
	case m.AppendEntriesResponse != nil:
		return check("AppendEntriesResponse", m.AppendEntriesResponse.Term, m.AppendEntriesResponse.ConflictTerm, "conflict term")
	case m.InstallSnapshot != nil:
		return check("InstallSnapshot", m.InstallSnapshot.Term, m.InstallSnapshot.LastIncludedTerm, "last included term")
	case m.InstallSnapshotResponse != nil:
		return check("InstallSnapshotResponse", m.InstallSnapshotResponse.Term, 0, "")
	case m.TimeoutNow != nil:
		return check("TimeoutNow", m.TimeoutNow.Term, 0, "")
	}
	return nil
}
