package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{"DWNODE_TOKEN": "from-env", "DWNODE_HTTP_ADDR": "127.0.0.1:9999", "DWNODE_JOIN": "a:1, b:2"}
	c, err := parseConfig([]string{"-name", "n1", "-http-addr", "127.0.0.1:1234", "-raft-election", "1s"},
		func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, "n1", c.Name)
	require.Equal(t, "from-env", c.Token, "environment variable ignored")
	require.Equal(t, "127.0.0.1:1234", c.HTTPAddr, "flag must win over the environment")
	require.Equal(t, []string{"a:1", "b:2"}, c.Join)
	require.Equal(t, time.Second, c.Election)
	require.Equal(t, "dwnode-data/n1", c.DataDir)
	require.Equal(t, 1024, c.StreamThreshold)
	require.Equal(t, "127.0.0.1:0", c.ReplicaAddr)
}

func TestParseConfigErrors(t *testing.T) {
	none := func(string) string { return "" }
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad duration flag", []string{"-name", "x", "-raft-election", "soon"}, nil, "raft-election"},
		{"bad env", []string{"-name", "x"}, map[string]string{"DWNODE_BOOTSTRAP": "maybe"}, "DWNODE_BOOTSTRAP"},
		{"name with slash", []string{"-name", "a/b"}, nil, `-name "a/b"`},
		{"heartbeat above election", []string{"-name", "x", "-raft-heartbeat", "1s", "-raft-election", "500ms"}, nil, "-raft-heartbeat"},
		{"scale bounds", []string{"-name", "x", "-scale-min", "5", "-scale-max", "2"}, nil, "-scale-min 5"},
		{"queue thresholds", []string{"-name", "x", "-scale-queue-up", "5", "-scale-queue-down", "6"}, nil, "-scale-queue-down"},
		{"profile", []string{"-name", "x", "-swim-profile", "wan2"}, nil, "-swim-profile"},
		{"log level", []string{"-name", "x", "-log-level", "loud"}, nil, "-log-level"},
		{"stream threshold", []string{"-name", "x", "-replica-stream-threshold", "-1"}, nil, "-replica-stream-threshold -1"},
		{"stray argument", []string{"-name", "x", "extra"}, nil, `unexpected argument "extra"`},
		{"negative prune delay", []string{"-name", "x", "-prune-after", "-1s"}, nil, "-prune-after -1s"},
		// The auto-scaler's flags are checked at start, not only once the
		// node becomes the Raft leader and builds its scaler.
		{"negative cooldown", []string{"-name", "x", "-scale-cooldown", "-1s"}, nil, "-scale-cooldown -1s"},
		{"negative queue down", []string{"-name", "x", "-scale-queue-down", "-5"}, nil, "-scale-queue-down -5"},
		{"NaN queue up", []string{"-name", "x", "-scale-queue-up", "NaN"}, nil, "-scale-queue-up NaN"},
		{"infinite queue up", []string{"-name", "x", "-scale-queue-up", "+Inf"}, nil, "-scale-queue-up +Inf"},
		{"negative stop timeout", []string{"-name", "x", "-scale-stop-timeout", "-1s"}, nil, "-scale-stop-timeout -1s"},
		{"join without port", []string{"-name", "x", "-join", "10.0.0.1:7001,10.0.0.2"}, nil, `-join "10.0.0.2"`},
		{"join with port 0", []string{"-name", "x", "-join", "seed.example:0"}, nil, `-join "seed.example:0"`},
		{"missing scale binary", []string{"-name", "x", "-autoscale", "-scale-binary", "/nonexistent/dwnode"}, nil, `-scale-binary "/nonexistent/dwnode"`},
		{"scale binary not executable", []string{"-name", "x", "-autoscale", "-scale-binary", "config.go"}, nil, `-scale-binary "config.go": not an executable file`},
		{"negative marker ttl", []string{"-name", "x"}, map[string]string{"DWNODE_PRUNE_MARKER_TTL": "-1h"}, "-prune-marker-ttl -1h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := none
			if tc.env != nil {
				getenv = func(k string) string { return tc.env[k] }
			}
			_, err := parseConfig(tc.args, getenv)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	require.Equal(t, 2, run([]string{"-name", ""}, func(string) string { return "" }))
	require.Equal(t, 0, run([]string{"-h"}, func(string) string { return "" }))
}
