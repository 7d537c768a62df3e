package autoscale

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dwsdk/distributed/gen/autoscalewire"
	"github.com/stretchr/testify/require"
)

func TestDefaultConfigIsTheSeedPolicy(t *testing.T) {
	c := DefaultConfig()
	require.NoError(t, c.Validate())
	require.Equal(t, Thresholds{Up: 80, Down: 30}, c.CPU)
	require.Equal(t, Thresholds{Up: 85, Down: 40}, c.Memory)
	require.Equal(t, Thresholds{Up: 100, Down: 10}, c.QueueDepth)
	require.Equal(t, 60*time.Second, c.Cooldown)
	require.Equal(t, 15*time.Second, c.Interval)
	require.Equal(t, 50.0, c.ScaleUpPercent)
	require.Equal(t, 1, c.ScaleUpMin)
	require.Equal(t, 1, c.ScaleDownStep)
	require.Equal(t, 1, c.MinNodes)
	require.Equal(t, 100, c.MaxNodes)
	require.Nil(t, c.Predictive)
}

func TestConfigFromWire(t *testing.T) {
	got, err := ConfigFromWire(&autoscalewire.Config{
		CPU:      &autoscalewire.Thresholds{Up: 70, Down: 20},
		Custom:   []autoscalewire.CustomMetric{{Name: "p99_ms", Up: 250, Down: 50}},
		Cooldown: "2m", Interval: "10s",
		Nodes:      &autoscalewire.NodeBounds{Min: 2, Max: 20},
		Predictive: &autoscalewire.Predictive{Horizon: "90s", Window: "5m", Target: 0.7},
	})
	require.NoError(t, err)
	want := DefaultConfig()
	want.CPU = Thresholds{Up: 70, Down: 20}
	want.Custom = []CustomMetric{{Name: "p99_ms", Thresholds: Thresholds{Up: 250, Down: 50}}}
	want.Cooldown, want.Interval = 2*time.Minute, 10*time.Second
	want.MinNodes, want.MaxNodes = 2, 20
	want.Predictive = &Predictive{Horizon: 90 * time.Second, Window: 5 * time.Minute, Target: 0.7}
	require.Equal(t, want, got)

	back, err := ConfigFromWire(ConfigToWire(got))
	require.NoError(t, err)
	require.Equal(t, got, back)

	def, err := ConfigFromWire(&autoscalewire.Config{})
	require.NoError(t, err)
	require.Equal(t, DefaultConfig(), def, "absent groups keep defaults")
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name string
		w    autoscalewire.Config
		want string
	}{
		{"bad cooldown", autoscalewire.Config{Cooldown: "sixty"}, `cooldown: "sixty" is not a duration`},
		{"bad interval", autoscalewire.Config{Interval: "15"}, `interval: "15" is not a duration`},
		{"zero interval", autoscalewire.Config{Interval: "0s"}, "interval: must be positive"},
		{"negative cooldown", autoscalewire.Config{Cooldown: "-1s"}, "cooldown: must not be negative"},
		{"cpu up below down", autoscalewire.Config{CPU: &autoscalewire.Thresholds{Up: 30, Down: 80}}, "cpu: up threshold 30 must be above down threshold 80"},
		{"cpu above 100", autoscalewire.Config{CPU: &autoscalewire.Thresholds{Up: 120, Down: 30}}, "cpu.up: is a percentage"},
		{"memory negative down", autoscalewire.Config{Memory: &autoscalewire.Thresholds{Up: 80, Down: -1}}, "memory.down: must not be negative"},
		{"queue group missing up", autoscalewire.Config{QueueDepth: &autoscalewire.Thresholds{Down: 10}}, "queue_depth_per_node: up threshold 0 must be above"},
		{"custom without name", autoscalewire.Config{Custom: []autoscalewire.CustomMetric{{Up: 2, Down: 1}}}, "custom[0].name: must not be empty"},
		{"custom duplicate", autoscalewire.Config{Custom: []autoscalewire.CustomMetric{{Name: "a", Up: 2, Down: 1}, {Name: "a", Up: 2, Down: 1}}}, `custom[1].name: "a" is already a metric`},
		{"custom shadows cpu", autoscalewire.Config{Custom: []autoscalewire.CustomMetric{{Name: "cpu", Up: 2, Down: 1}}}, `custom[0].name: "cpu" is already a metric`},
		{"custom NaN", autoscalewire.Config{Custom: []autoscalewire.CustomMetric{{Name: "x", Up: math.NaN(), Down: 1}}}, "custom[0]: thresholds must be finite"},
		{"min above max", autoscalewire.Config{Nodes: &autoscalewire.NodeBounds{Min: 5, Max: 3}}, "nodes: min 5 is above max 3"},
		{"max zero", autoscalewire.Config{Nodes: &autoscalewire.NodeBounds{Min: 0, Max: 0}}, "nodes.max: must be at least 1"},
		{"scale-up min zero", autoscalewire.Config{ScaleUp: &autoscalewire.ScaleUpPolicy{Percent: 50}}, "scale_up.min: must be at least 1"},
		{"scale-up negative percent", autoscalewire.Config{ScaleUp: &autoscalewire.ScaleUpPolicy{Percent: -5, Min: 1}}, "scale_up.percent"},
		{"scale-down step zero", autoscalewire.Config{ScaleDown: &autoscalewire.ScaleDownPolicy{}}, "scale_down.step: must be at least 1"},
		{"predictive incomplete", autoscalewire.Config{Predictive: &autoscalewire.Predictive{Target: 0.5}}, "predictive: needs both horizon and window"},
		{"predictive bad horizon", autoscalewire.Config{Predictive: &autoscalewire.Predictive{Horizon: "soon", Window: "5m", Target: 0.5}}, `predictive.horizon: "soon"`},
		{"predictive target", autoscalewire.Config{Predictive: &autoscalewire.Predictive{Horizon: "1m", Window: "5m", Target: 1.5}}, "predictive.target: must be in (0, 1]"},
		{"predictive window short", autoscalewire.Config{Predictive: &autoscalewire.Predictive{Horizon: "1m", Window: "1s", Target: 0.5}}, "predictive.window: must be at least the interval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConfigFromWire(&tc.w)
			require.ErrorIs(t, err, ErrInvalidConfig)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestConfigValidateHealthCheck(t *testing.T) {
	c := DefaultConfig()
	c.HealthChecks = []HealthCheck{{Name: "raft"}}
	require.ErrorContains(t, c.Validate(), `health_checks[0]: "raft" has no Check function`)
}

func TestLoadConfigFile(t *testing.T) {
	c, err := LoadConfig(filepath.Join("testdata", "autoscale.json"))
	require.NoError(t, err)
	want := DefaultConfig()
	want.CPU = Thresholds{Up: 75, Down: 25}
	want.Custom = []CustomMetric{{Name: "p99_latency_ms", Thresholds: Thresholds{Up: 250, Down: 50}}}
	want.Cooldown = 90 * time.Second
	want.MinNodes, want.MaxNodes = 2, 40
	want.Predictive = &Predictive{Horizon: time.Minute, Window: 10 * time.Minute, Target: 0.75}
	require.Equal(t, want, c)

	_, err = LoadConfig(filepath.Join("testdata", "absent.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestParseConfigJSON(t *testing.T) {
	c, err := ParseConfig([]byte(`{}`))
	require.NoError(t, err)
	require.Equal(t, DefaultConfig(), c, "an empty object is the defaults")

	c, err = ParseConfig([]byte(`{"cooldown": "2m", "nodes": {"min": 0, "max": 5}, "memory": {"disabled": true}}`))
	require.NoError(t, err)
	require.Equal(t, 2*time.Minute, c.Cooldown)
	require.Equal(t, 0, c.MinNodes)
	require.Equal(t, 5, c.MaxNodes)
	require.True(t, c.Memory.Disabled)

	// The JSON form round-trips through the generated encoder.
	data, err := MarshalConfig(c)
	require.NoError(t, err)
	back, err := ParseConfig(data)
	require.NoError(t, err)
	require.Equal(t, c, back)

	tests := []struct{ in, want string }{
		{`{"cooldown": "sixty"}`, `cooldown: "sixty" is not a duration`},
		{`{"cooldwn": "60s"}`, "unknown field"},
		{`{"cpu": {"up": "high", "down": 30}}`, "autoscalewire.Config.CPU.Up: offset 15"},
		{`{"cpu": {"up": 20, "down": 30}}`, "cpu: up threshold 20 must be above down threshold 30"},
		{`{"nodes": {"min": 9, "max": 3}}`, "nodes: min 9 is above max 3"},
		{`{"nodes": {"min": 1, "max": 99999999999}}`, "autoscalewire.Config.Nodes.Max"},
		{`{"custom": [{"name": "", "up": 2, "down": 1}]}`, "custom[0].name: must not be empty"},
		{`{"cooldown": 60}`, "autoscalewire.Config.Cooldown"},
		{`{"cpu": `, "offset"},
		{`[]`, "autoscalewire.Config"},
		{``, "autoscalewire.Config"},
	}
	for _, tc := range tests {
		_, err := ParseConfig([]byte(tc.in))
		require.ErrorIs(t, err, ErrInvalidConfig, tc.in)
		require.ErrorContains(t, err, tc.want, tc.in)
	}
}

func FuzzParseConfig(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "autoscale.json"))
	require.NoError(f, err)
	for _, s := range []string{string(seed), "{}", `{"cooldown":"1h"}`, `{"cpu":{"up":1e400}}`, `{"custom":[{}]}`, "\xff", `{"nodes":{"min":-1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidConfig)
			return
		}
		require.NoError(t, c.Validate(), "ParseConfig returned an invalid config")
	})
}

// TestMarshalConfigKeepsDisabledCustomMetrics: a custom metric switched
// off in Go stays off through the JSON form, like the built-in ones.
func TestMarshalConfigKeepsDisabledCustomMetrics(t *testing.T) {
	c := DefaultConfig()
	c.Custom = []CustomMetric{
		{Name: "p99_ms", Thresholds: Thresholds{Up: 250, Down: 50, Disabled: true}},
		{Name: "errors", Thresholds: Thresholds{Up: 5, Down: 1}},
	}
	data, err := MarshalConfig(c)
	require.NoError(t, err)
	back, err := ParseConfig(data)
	require.NoError(t, err)
	require.Equal(t, c, back, "JSON: %s", data)

	c, err = ParseConfig([]byte(`{"custom": [{"name": "p99_ms", "disabled": true}]}`))
	require.NoError(t, err)
	require.Equal(t, []CustomMetric{{Name: "p99_ms", Thresholds: Thresholds{Disabled: true}}}, c.Custom)
}
