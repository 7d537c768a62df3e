package replica

import "github.com/dwsdk/distributed/gen/replicawire"

// Transport moves envelopes between nodes. Delivery is best effort: the
// engine tolerates loss, duplication and reordering. Implementations must be
// safe for concurrent use.
type Transport interface {
	// Send queues env for the node named to. It must not block on the
	// network; when the peer cannot be reached it returns an error or drops
	// env (the engine resends). The transport must not modify env, and the
	// engine does not modify it after Send.
	Send(to string, env *replicawire.Envelope) error
	// Inbound returns the channel on which received envelopes arrive; Run
	// hands each to Handle. A transport that pushes messages by calling
	// Handle itself may return nil.
	Inbound() <-chan *replicawire.Envelope
}

// Broadcaster is implemented by transports that can disseminate a small
// envelope to every member at once, such as SWIM's piggybacked user
// broadcasts. The engine broadcasts each fresh delta when it can and falls
// back to Send otherwise; acknowledgements and resends always use Send.
type Broadcaster interface {
	// Broadcast queues env for every member and reports whether it took
	// it (false when env is too large for a broadcast).
	Broadcast(env *replicawire.Envelope) bool
}
