package swim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	kr, err := NewKeyring([]byte("0123456789abcdef"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string // substring of the error; "" means valid
	}{
		{"default", func(*Config) {}, ""},
		{"keyring", func(c *Config) { c.Keyring = kr }, ""},
		{"no name", func(c *Config) { c.Name = "" }, "Name is empty"},
		{"meta too large", func(c *Config) { c.Meta = make([]byte, MetaMaxSize+1) }, "Meta is 513 bytes"},
		{"timeout over interval", func(c *Config) { c.ProbeTimeout = 2 * c.ProbeInterval }, "ProbeTimeout"},
		{"small MTU", func(c *Config) { c.MTU = 100 }, "MTU 100"},
		// A zero Keyring has no primary key to seal with: the first
		// packet sent would index an empty slice (a panic on a timer
		// goroutine, i.e. a crashed process), not an error.
		{"empty keyring", func(c *Config) { c.Keyring = &Keyring{} }, "Keyring holds no key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultLocalConfig()
			c.Name = "a"
			tc.mod(&c)
			err := c.validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
