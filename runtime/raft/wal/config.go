package wal

import (
	"fmt"
	"log/slog"
)

// Config tunes a WAL. Start from DefaultConfig.
type Config struct {
	// SegmentSize is the size in bytes at which the active segment is closed
	// and a new one started. A record larger than SegmentSize gets a segment
	// of its own.
	SegmentSize int64
	// CacheEntries is how many of the most recently appended entries are
	// kept decoded in memory, so that replication to followers that keep up
	// never reads the disk. Zero disables the cache.
	CacheEntries int
	// Logger receives recovery and error events. Nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns 64 MiB segments and a cache of 8192 entries.
func DefaultConfig() Config {
	return Config{
		SegmentSize:  64 << 20,
		CacheEntries: 8192,
	}
}

func (c *Config) validate() error {
	if c.SegmentSize <= 0 {
		return fmt.Errorf("wal: config: SegmentSize must be positive, got %d", c.SegmentSize)
	}
	if c.CacheEntries < 0 {
		return fmt.Errorf("wal: config: CacheEntries must not be negative, got %d", c.CacheEntries)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
