package raft

import "github.com/dwsdk/distributed/gen/raftwire"

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
