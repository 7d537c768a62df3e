package autoscale

import (
	"fmt"
	"os"
	"time"

	"github.com/dwsdk/distributed/gen/autoscalewire"
)

// ParseConfig decodes a JSON configuration with the generated codec (no
// reflection) and applies it to DefaultConfig (see ConfigFromWire). Unknown
// keys are errors, so a misspelt setting is reported, not ignored; errors
// name the field (and for malformed JSON, the byte offset).
func ParseConfig(data []byte) (Config, error) {
	var w autoscalewire.Config
	if err := w.UnmarshalJSONStrict(data); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return ConfigFromWire(&w)
}

// LoadConfig reads and parses a JSON configuration file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("autoscale: load config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// MarshalConfig encodes the JSON-representable part of c with the
// generated codec; ParseConfig reads it back.
func MarshalConfig(c Config) ([]byte, error) {
	return ConfigToWire(c).MarshalJSON()
}

// ConfigFromWire applies the JSON form of a configuration to DefaultConfig:
// absent groups keep their defaults, present groups replace them, and the
// result is validated. Errors name the JSON field.
func ConfigFromWire(w *autoscalewire.Config) (Config, error) {
	c := DefaultConfig()
	if w == nil {
		return c, nil
	}
	if w.CPU != nil {
		c.CPU = thresholdsFromWire(*w.CPU)
	}
	if w.Memory != nil {
		c.Memory = thresholdsFromWire(*w.Memory)
	}
	if w.QueueDepth != nil {
		c.QueueDepth = thresholdsFromWire(*w.QueueDepth)
	}
	for _, m := range w.Custom {
		c.Custom = append(c.Custom, CustomMetric{Name: m.Name, Thresholds: Thresholds{Up: m.Up, Down: m.Down, Disabled: m.Disabled}})
	}
	var err error
	if c.Cooldown, err = durationField("cooldown", w.Cooldown, c.Cooldown); err != nil {
		return Config{}, err
	}
	if c.Interval, err = durationField("interval", w.Interval, c.Interval); err != nil {
		return Config{}, err
	}
	if w.ScaleUp != nil {
		c.ScaleUpPercent, c.ScaleUpMin = w.ScaleUp.Percent, int(w.ScaleUp.Min)
	}
	if w.ScaleDown != nil {
		c.ScaleDownStep = int(w.ScaleDown.Step)
	}
	if w.Nodes != nil {
		c.MinNodes, c.MaxNodes = int(w.Nodes.Min), int(w.Nodes.Max)
	}
	if p := w.Predictive; p != nil {
		c.Predictive = &Predictive{Target: p.Target}
		if p.Horizon == "" || p.Window == "" {
			return Config{}, invalid("predictive", "needs both horizon and window")
		}
		if c.Predictive.Horizon, err = durationField("predictive.horizon", p.Horizon, 0); err != nil {
			return Config{}, err
		}
		if c.Predictive.Window, err = durationField("predictive.window", p.Window, 0); err != nil {
			return Config{}, err
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ConfigToWire is the inverse of ConfigFromWire for the fields JSON carries
// (health checks, clock and logger stay in Go).
func ConfigToWire(c Config) *autoscalewire.Config {
	w := &autoscalewire.Config{
		CPU:        thresholdsToWire(c.CPU),
		Memory:     thresholdsToWire(c.Memory),
		QueueDepth: thresholdsToWire(c.QueueDepth),
		Cooldown:   c.Cooldown.String(),
		Interval:   c.Interval.String(),
		ScaleUp:    &autoscalewire.ScaleUpPolicy{Percent: c.ScaleUpPercent, Min: int32(c.ScaleUpMin)},
		ScaleDown:  &autoscalewire.ScaleDownPolicy{Step: int32(c.ScaleDownStep)},
		Nodes:      &autoscalewire.NodeBounds{Min: int32(c.MinNodes), Max: int32(c.MaxNodes)},
	}
	for _, m := range c.Custom {
		w.Custom = append(w.Custom, autoscalewire.CustomMetric{Name: m.Name, Up: m.Up, Down: m.Down, Disabled: m.Disabled})
	}
	if p := c.Predictive; p != nil {
		w.Predictive = &autoscalewire.Predictive{Horizon: p.Horizon.String(), Window: p.Window.String(), Target: p.Target}
	}
	return w
}

func thresholdsFromWire(t autoscalewire.Thresholds) Thresholds {
	return Thresholds{Up: t.Up, Down: t.Down, Disabled: t.Disabled}
}

func thresholdsToWire(t Thresholds) *autoscalewire.Thresholds {
	return &autoscalewire.Thresholds{Up: t.Up, Down: t.Down, Disabled: t.Disabled}
}

// durationField parses a human duration ("60s", "1m30s"); empty keeps def.
func durationField(field, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %q is not a duration such as \"60s\" or \"1m30s\"", ErrInvalidConfig, field, s)
	}
	return d, nil
}
