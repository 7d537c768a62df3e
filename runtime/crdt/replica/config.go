package replica

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config configures an Engine. Zero values of the tuning fields take the
// values of DefaultConfig.
type Config struct {
	// ID is this node's name, as membership and the transport know it.
	ID string
	// Replica is the CRDT replica id State writes its dots under; it is
	// sent to peers so they can prune it once this node is gone. Defaults
	// to ID. Use a fresh id for every incarnation of a node.
	Replica string
	// Epoch is this incarnation's number; it must grow across restarts of
	// the same node. Defaults to the start time in nanoseconds.
	Epoch uint64
	// State is the replicated CRDT.
	State State
	// Transport moves envelopes.
	Transport Transport
	// Logger receives protocol events; defaults to slog.Default().
	Logger *slog.Logger

	// TickInterval is how often Run takes the local delta, sends and
	// resends. Default 50ms.
	TickInterval time.Duration
	// RetransmitTicks is how many ticks without progress pass before
	// unacknowledged deltas or a full-state offer are sent again. Default 4.
	RetransmitTicks uint64
	// AntiEntropyTicks is how many ticks pass between digest exchanges with
	// the next peer in turn. Default 100.
	AntiEntropyTicks uint64
	// DisableAntiEntropy turns the periodic digest exchange off.
	DisableAntiEntropy bool
	// MaxBufferedDeltas bounds the delta buffer: when it holds more, the
	// oldest deltas are dropped and peers that still need them get the full
	// state. Default 1024.
	MaxBufferedDeltas int
	// MaxBufferedBytes bounds the delta buffer's encoded size the same way.
	// Default 8 MiB.
	MaxBufferedBytes int
	// MaxPendingDeltas bounds, per origin, the deltas received ahead of a
	// gap and held until it fills; more are dropped (and resent later).
	// Default 1024.
	MaxPendingDeltas int
	// MaxBatchBytes bounds the encoded deltas sent in one envelope (at least
	// one delta is always sent). Default 256 KiB.
	MaxBatchBytes int
	// MarkerTTLTicks is how many ticks the pruner keeps the markers of a
	// pruning after every live peer acknowledged it, before forgetting
	// them. A node restored from durable state written before the pruning
	// re-sends the pruned replica's data, which only a marker cleans: keep
	// them longer than such a node may stay down (Akka keeps the markers of
	// durable data for 10 days). Default 0: forget at once.
	MarkerTTLTicks uint64
	// ForgetTicks is how many ticks a node keeps announcing and re-applying
	// the forgetting of a pruning marker once it started (see Forgetter).
	// Default 3*AntiEntropyTicks.
	ForgetTicks uint64
	// OnFenced, when set, is called once (from Handle, without the engine's
	// lock) when a peer announces this node's replica id pruned: the node
	// was declared dead and must rejoin under a new epoch (see
	// Engine.Fenced). It must not block.
	OnFenced func()
}

// DefaultConfig returns the default tuning values; ID, State and Transport
// must still be set.
func DefaultConfig() Config {
	return Config{
		TickInterval:      50 * time.Millisecond,
		RetransmitTicks:   4,
		AntiEntropyTicks:  100,
		MaxBufferedDeltas: 1024,
		MaxBufferedBytes:  8 << 20,
		MaxPendingDeltas:  1024,
		MaxBatchBytes:     256 << 10,
	}
}

// withDefaults fills zero fields and validates the result.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.ID == "" {
		return c, errors.New("replica: config: ID is empty")
	}
	if c.State == nil {
		return c, errors.New("replica: config: State is nil")
	}
	if c.Transport == nil {
		return c, errors.New("replica: config: Transport is nil")
	}
	if c.Replica == "" {
		c.Replica = c.ID
	}
	if c.Epoch == 0 {
		c.Epoch = uint64(time.Now().UnixNano())
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TickInterval == 0 {
		c.TickInterval = d.TickInterval
	}
	if c.RetransmitTicks == 0 {
		c.RetransmitTicks = d.RetransmitTicks
	}
	if c.AntiEntropyTicks == 0 {
		c.AntiEntropyTicks = d.AntiEntropyTicks
	}
	if c.MaxBufferedDeltas == 0 {
		c.MaxBufferedDeltas = d.MaxBufferedDeltas
	}
	if c.MaxBufferedBytes == 0 {
		c.MaxBufferedBytes = d.MaxBufferedBytes
	}
	if c.MaxPendingDeltas == 0 {
		c.MaxPendingDeltas = d.MaxPendingDeltas
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = d.MaxBatchBytes
	}
	if c.ForgetTicks == 0 {
		c.ForgetTicks = 3 * c.AntiEntropyTicks
	}
	switch {
	case c.TickInterval < 0:
		return c, fmt.Errorf("replica: config: TickInterval %v is negative", c.TickInterval)
	case c.MaxBufferedDeltas < 1:
		return c, fmt.Errorf("replica: config: MaxBufferedDeltas %d is below 1", c.MaxBufferedDeltas)
	case c.MaxBufferedBytes < 1:
		return c, fmt.Errorf("replica: config: MaxBufferedBytes %d is below 1", c.MaxBufferedBytes)
	case c.MaxPendingDeltas < 1:
		return c, fmt.Errorf("replica: config: MaxPendingDeltas %d is below 1", c.MaxPendingDeltas)
	case c.MaxBatchBytes < 1:
		return c, fmt.Errorf("replica: config: MaxBatchBytes %d is below 1", c.MaxBatchBytes)
	}
	return c, nil
}
