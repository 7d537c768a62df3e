package swim

import (
	"fmt"
	"time"
)

// State is what a member believes about another member.
type State uint8

// Member states.
const (
	StateAlive   State = iota // answers probes
	StateSuspect              // missed a probe, may still refute
	StateDead                 // declared failed
	StateLeft                 // left gracefully
)

func (s State) String() string {
	switch s {
	case StateAlive:
		return "alive"
	case StateSuspect:
		return "suspect"
	case StateDead:
		return "dead"
	case StateLeft:
		return "left"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Member is a snapshot of what a node knows about one member.
type Member struct {
	Name        string
	Addr        string
	Meta        []byte
	Incarnation uint32
	State       State
	// Since is when this node last saw the state change.
	Since time.Time
}

// EventType says what happened to a member.
type EventType uint8

// Event types.
const (
	EventJoin    EventType = iota + 1 // a member became alive (new, or back from dead/left)
	EventLeave                        // a member left gracefully
	EventFailed                       // a member was declared dead
	EventUpdate                       // a member's metadata or address changed (after EventAlive if it was suspect)
	EventSuspect                      // a member became suspect
	EventAlive                        // a suspect member refuted
)

func (e EventType) String() string {
	switch e {
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	case EventFailed:
		return "failed"
	case EventUpdate:
		return "update"
	case EventSuspect:
		return "suspect"
	case EventAlive:
		return "alive"
	}
	return fmt.Sprintf("EventType(%d)", uint8(e))
}

// Event is a membership change seen by the local node.
type Event struct {
	Type   EventType
	Member Member
	// From is the member that reported the change, when known.
	From string
}

// Message is a user payload received as a broadcast or a direct message.
type Message struct {
	Payload   []byte
	Broadcast bool
	// From is the sender's address for direct messages: its member address
	// (Member.Addr) when the message came in a packet, the connection's
	// (an ephemeral port) when it was over the MTU and came over a stream.
	// Empty for broadcasts.
	From string
	// Origin is the name of the member that made a broadcast (relays do not
	// change it); empty for direct messages.
	Origin string
}
