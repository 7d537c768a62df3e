package raft

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// Transport moves messages between servers. Implementations: the in-memory
// network with fault injection for tests, and the TCP transport in package
// tcp. Messages are one-way; a response is a message of its own, so appends
// pipeline naturally. All methods are safe for concurrent use.
type Transport interface {
	// Send queues m (m.To names the destination server) for delivery to
	// addr. It must not block on the network: when the peer's queue is full
	// or the peer is unreachable it returns an error or drops the message;
	// Raft retransmits. The transport must not modify m, and the caller must
	// not modify m after Send.
	Send(addr string, m *raftwire.Message) error
	// Inbound returns the channel on which received messages are delivered.
	// The receiver must not modify them.
	Inbound() <-chan *raftwire.Message
	// LocalAddr returns the address other servers reach this one at.
	LocalAddr() string
	// Close stops the transport and closes the Inbound channel.
	Close() error
}

// PeerFilter is implemented by transports that refuse servers outside the
// configuration. Raft calls SetPeers whenever the configuration changes.
type PeerFilter interface {
	SetPeers(servers []raftwire.Server)
}

// MessageLimiter is implemented by transports that cannot carry a message
// whose binary encoding exceeds a size (the TCP transport's MaxFrameSize).
// A Node on such a transport refuses commands whose AppendEntries could
// never be sent (ErrProposalTooLarge) instead of appending an entry that
// would stall replication behind it for good, and cuts AppendEntries
// batches and InstallSnapshot chunks to fit.
type MessageLimiter interface {
	MaxMessageSize() int
}

// budgetIDLen is the length of the receiving server's ID assumed when
// budgeting a message's envelope (the TCP transport's bound on IDs).
const budgetIDLen = 1024

// envelopeOverhead bounds the bytes of m other than data, the command or
// chunk it carries as its one Data field (set to one byte): every number
// is set at its widest by the caller, and room is left for the length
// prefixes that grow with the data.
func envelopeOverhead(m *raftwire.Message) int {
	return m.Size() - 1 + 4*binary.MaxVarintLen64
}

// appendOverhead bounds the bytes, other than the command, of an
// AppendEntries carrying one entry from server id at addr.
func appendOverhead(id, addr string) int {
	const max = math.MaxUint64
	return envelopeOverhead(&raftwire.Message{From: id, To: strings.Repeat("x", budgetIDLen), FromAddr: addr,
		AppendEntries: &raftwire.AppendEntries{
			Term: max, LeaderID: id, PrevLogIndex: max, PrevLogTerm: max, LeaderCommit: max, ReadContext: max,
			Entries: []raftwire.Entry{{Index: max, Term: max, Type: raftwire.EntryConfig, Data: []byte{0}}},
		}})
}

// snapshotOverhead bounds the bytes, other than the chunk, of an
// InstallSnapshot of meta from server id at addr.
func snapshotOverhead(id, addr string, meta raftwire.SnapshotMeta) int {
	const max = math.MaxUint64
	return envelopeOverhead(&raftwire.Message{From: id, To: strings.Repeat("x", budgetIDLen), FromAddr: addr,
		InstallSnapshot: &raftwire.InstallSnapshot{
			Term: max, LeaderID: id, LastIncludedIndex: max, LastIncludedTerm: max, Configuration: meta.Configuration,
			ConfigIndex: max, Offset: max, Data: []byte{0}, Done: true, TotalSize: max,
		}})
}
