package raft

import (
	"errors"
	"fmt"

	"github.com/dwsdk/distributed/gen/raftwire"
)

// ErrBadConfiguration is wrapped around invalid or undecodable configurations.
var ErrBadConfiguration = errors.New("raft: bad configuration")

// encodeConfiguration encodes c as the data of an EntryConfig entry, with
// the generated binary codec.
func encodeConfiguration(c raftwire.Configuration) ([]byte, error) {
	b, err := c.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %v", ErrBadConfiguration, err)
	}
	return b, nil
}

// decodeConfiguration decodes and validates the data of an EntryConfig entry.
func decodeConfiguration(b []byte) (raftwire.Configuration, error) {
	var c raftwire.Configuration
	if err := c.UnmarshalBinary(b); err != nil {
		return raftwire.Configuration{}, fmt.Errorf("%w: decode: %v", ErrBadConfiguration, err)
	}
	return c, validateConfiguration(c)
}

// validateConfiguration checks IDs are unique and non-empty and at least one
// server votes.
func validateConfiguration(c raftwire.Configuration) error {
	seen := map[string]bool{}
	voters := 0
	for i, s := range c.Servers {
		switch {
		case s.ID == "":
			return fmt.Errorf("%w: server %d has no ID", ErrBadConfiguration, i)
		case s.Address == "":
			return fmt.Errorf("%w: server %q has no address", ErrBadConfiguration, s.ID)
		case seen[s.ID]:
			return fmt.Errorf("%w: server %q listed twice", ErrBadConfiguration, s.ID)
		case s.Suffrage != raftwire.Voter && s.Suffrage != raftwire.Learner:
			return fmt.Errorf("%w: server %q has unknown suffrage %d", ErrBadConfiguration, s.ID, s.Suffrage)
		}
		seen[s.ID] = true
		if s.Suffrage == raftwire.Voter {
			voters++
		}
	}
	if voters == 0 {
		return fmt.Errorf("%w: no voter", ErrBadConfiguration)
	}
	return nil
}

func findServer(c raftwire.Configuration, id string) (raftwire.Server, bool) {
	for _, s := range c.Servers {
		if s.ID == id {
			return s, true
		}
	}
	return raftwire.Server{}, false
}

func isVoter(c raftwire.Configuration, id string) bool {
	s, ok := findServer(c, id)
	return ok && s.Suffrage == raftwire.Voter
}

func voterCount(c raftwire.Configuration) int {
	n := 0
	for _, s := range c.Servers {
		if s.Suffrage == raftwire.Voter {
			n++
		}
	}
	return n
}

func cloneConfiguration(c raftwire.Configuration) raftwire.Configuration {
	return raftwire.Configuration{Servers: append([]raftwire.Server(nil), c.Servers...)}
}

// configEntry is a configuration and the log index that introduced it.
type configEntry struct {
	index uint64
	cfg   raftwire.Configuration
}

// configHistory tracks the configurations in the log. A configuration takes
// effect as soon as it is appended (Raft thesis 4.1), so the latest one
// rules, committed or not; a suffix truncation reverts to an earlier one.
type configHistory struct {
	entries []configEntry // ascending by index; entries[0] is the base
}

func (h *configHistory) latest() configEntry {
	if len(h.entries) == 0 {
		return configEntry{}
	}
	return h.entries[len(h.entries)-1]
}

// at returns the configuration in force at index.
func (h *configHistory) at(index uint64) configEntry {
	for i := len(h.entries) - 1; i >= 0; i-- {
		if h.entries[i].index <= index {
			return h.entries[i]
		}
	}
	return configEntry{}
}

func (h *configHistory) add(index uint64, c raftwire.Configuration) {
	h.truncateFrom(index)
	h.entries = append(h.entries, configEntry{index: index, cfg: c})
}

// truncateFrom forgets configurations at or after index.
func (h *configHistory) truncateFrom(index uint64) {
	i := len(h.entries)
	for i > 0 && h.entries[i-1].index >= index {
		i--
	}
	h.entries = h.entries[:i]
}

// compact forgets configurations superseded at or before index.
func (h *configHistory) compact(index uint64) {
	keep := 0
	for i, e := range h.entries {
		if e.index <= index {
			keep = i
		}
	}
	h.entries = h.entries[keep:]
}

// reset replaces the history with one configuration (a snapshot's).
func (h *configHistory) reset(index uint64, c raftwire.Configuration) {
	h.entries = []configEntry{{index: index, cfg: c}}
}
