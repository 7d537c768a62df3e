package replica

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidMessage is wrapped by Handle's errors for envelopes that
	// break the protocol (no sender, epoch 0, sequence number 0, an ack
	// beyond the stream). Nothing of such an envelope is applied.
	ErrInvalidMessage = errors.New("replica: invalid message")
	// ErrClosed is returned by Run when the engine was already run.
	ErrClosed = errors.New("replica: engine already ran")
	// ErrFenced is wrapped by Sync's error once the node's replica id was
	// pruned by the cluster (see Engine.Fenced).
	ErrFenced = errors.New("replica: replica id pruned by the cluster (fenced)")
)

// errorf returns an error wrapping ErrInvalidMessage.
func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidMessage}, args...)...)
}
