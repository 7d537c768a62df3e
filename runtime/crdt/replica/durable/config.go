package durable

import (
	"errors"
	"log/slog"

	"github.com/dwsdk/distributed/runtime/crdt/replica"
)

// Config configures a Store.
type Config struct {
	// Dir holds the log files and the snapshot; it is created if needed.
	// One Store per directory.
	Dir string
	// State is the state made durable; Open replays the files into it.
	State replica.State
	// Logger receives recovery and compaction events; defaults to
	// slog.Default().
	Logger *slog.Logger
	// CompactBytes is the log size past which Run compacts. Default 4 MiB.
	CompactBytes int64
	// RestoreAsDelta makes the first TakeDelta after Open return the whole
	// state (Snapshot) when Open restored anything, so the engine
	// disseminates the restored data as a delta of the new incarnation
	// instead of waiting for anti-entropy. Set it when an encoded snapshot
	// is also a valid delta (true of delta-state CRDTs, whose deltas are
	// states, and of replica.Keyed over them).
	RestoreAsDelta bool
}

// DefaultConfig returns the default tuning; Dir and State must still be set.
func DefaultConfig() Config {
	return Config{CompactBytes: 4 << 20}
}

func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, errors.New("durable: config: Dir is empty")
	}
	if c.State == nil {
		return c, errors.New("durable: config: State is nil")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.CompactBytes <= 0 {
		c.CompactBytes = DefaultConfig().CompactBytes
	}
	return c, nil
}
