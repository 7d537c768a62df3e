// Package autoscalewire declares the decisions, metric readings, scale events
// and the JSON configuration of runtime/autoscale.
//
// This package is a schema: crdtgen reads it and emits the types with their
// JSON and binary codecs into gen/autoscalewire. Nothing imports it at run
// time. Field numbers (wire:"N") are part of the wire format: never reuse or
// renumber one; add new fields with new numbers.
package autoscalewire

// Action is what a decision asks the cluster to do.
type Action uint8

const (
	// ActionNone keeps the cluster as it is.
	ActionNone Action = iota
	// ActionScaleUp adds nodes.
	ActionScaleUp
	// ActionScaleDown removes nodes.
	ActionScaleDown
)

// Vote is what one metric reading says on its own.
type Vote uint8

const (
	// VoteHold is a metric between its down and up thresholds.
	VoteHold Vote = iota
	// VoteUp is a metric above its up threshold.
	VoteUp
	// VoteDown is a metric below its down threshold.
	VoteDown
	// VoteUnreadable is a metric that could not be read; it never lets the
	// cluster scale down.
	VoteUnreadable
)

// BlockKind says what stopped a decision from being carried out in full.
type BlockKind uint8

const (
	// BlockNone is the zero value; it never appears in Decision.Blocked.
	BlockNone BlockKind = iota
	// BlockCooldown is a scale event inside the cooldown of the previous one.
	BlockCooldown
	// BlockBounds is a change clamped or refused by the min/max node bounds.
	BlockBounds
	// BlockHealth is a failing health check vetoing the change.
	BlockHealth
	// BlockUnreadable is a scale-down refused because a metric could not be
	// read.
	BlockUnreadable
	// BlockExecutor is an executor that failed or did less than asked.
	BlockExecutor
)

// MetricReading is one metric as an evaluation saw it.
//
//crdt:message
type MetricReading struct {
	// Name is "cpu", "memory", "queue_depth_per_node" or a custom metric.
	Name string `wire:"1"`
	// Value is the reading; meaningless when Vote is VoteUnreadable.
	Value float64 `wire:"2"`
	// Up and Down are the thresholds the reading was compared with.
	Up   float64 `wire:"3"`
	Down float64 `wire:"4"`
	Vote Vote    `wire:"5"`
	// Reason explains the vote in words, or carries the read error.
	Reason string `wire:"6"`
}

// Block is one thing that stopped or reduced a change.
//
//crdt:message
type Block struct {
	Kind   BlockKind `wire:"1"`
	Detail string    `wire:"2"`
}

// Decision is the outcome of one evaluation.
//
//crdt:message
type Decision struct {
	// AtUnixMilli is when the evaluation ran, in Unix milliseconds.
	AtUnixMilli int64 `wire:"1"`
	// Action is what was decided after every block was applied.
	Action Action `wire:"2"`
	// Current is the node count before the decision.
	Current int32 `wire:"3"`
	// Wanted is the node count the metrics asked for before any block.
	Wanted int32 `wire:"4"`
	// Delta is the signed change decided (positive adds nodes).
	Delta int32 `wire:"5"`
	// Readings holds one entry per metric, in a fixed order.
	Readings []MetricReading `wire:"6"`
	// Blocked lists what stopped or reduced the change.
	Blocked []Block `wire:"7"`
	// Reason sums the decision up in one line.
	Reason string `wire:"8"`
	// Event is the executed change, when there was one.
	Event *ScaleEvent `wire:"9"`
}

// ScaleEvent records one change an executor carried out.
//
//crdt:message
type ScaleEvent struct {
	// AtUnixMilli is when the change finished, in Unix milliseconds.
	AtUnixMilli int64  `wire:"1"`
	Action      Action `wire:"2"`
	// Requested is the number of nodes asked for.
	Requested int32 `wire:"3"`
	// Nodes names the nodes actually added or removed.
	Nodes []string `wire:"4"`
	// Before and After are the node counts around the change.
	Before int32 `wire:"5"`
	After  int32 `wire:"6"`
	// Error is the executor's error, if it failed (possibly after a partial
	// change).
	Error string `wire:"7"`
}

// Thresholds are the scale-up and scale-down thresholds of one metric.
//
//crdt:message
type Thresholds struct {
	Up   float64 `wire:"1" json:"up"`
	Down float64 `wire:"2" json:"down"`
	// Disabled leaves the metric out of every decision.
	Disabled bool `wire:"3" json:"disabled"`
}

// CustomMetric is a metric read through a MetricProvider by name.
//
//crdt:message
type CustomMetric struct {
	Name string  `wire:"1" json:"name"`
	Up   float64 `wire:"2" json:"up"`
	Down float64 `wire:"3" json:"down"`
	// Disabled leaves the metric out of every decision.
	Disabled bool `wire:"4" json:"disabled"`
}

// ScaleUpPolicy sizes a scale-up: ceil(Percent% of the current nodes), at
// least Min.
//
//crdt:message
type ScaleUpPolicy struct {
	Percent float64 `wire:"1" json:"percent"`
	Min     int32   `wire:"2" json:"min"`
}

// ScaleDownPolicy sizes a scale-down.
//
//crdt:message
type ScaleDownPolicy struct {
	Step int32 `wire:"1" json:"step"`
}

// NodeBounds bounds the cluster size.
//
//crdt:message
type NodeBounds struct {
	Min int32 `wire:"1" json:"min"`
	Max int32 `wire:"2" json:"max"`
}

// Predictive configures the optional look-ahead of the production scaler.
//
//crdt:message
type Predictive struct {
	// Horizon is how far ahead to project, e.g. "60s" (usually the node
	// start-up delay).
	Horizon string `wire:"1" json:"horizon"`
	// Window is how much history the trend is fitted over, e.g. "5m".
	Window string `wire:"2" json:"window"`
	// Target is the utilisation (percent) a scale-up sizes the cluster for.
	Target float64 `wire:"3" json:"target"`
}

// Config is the JSON form of autoscale.Config. Every group is optional: an
// absent group keeps its default; a present group must be complete and
// valid. Durations are strings in time.ParseDuration form ("60s", "1m30s").
//
//crdt:message
type Config struct {
	CPU        *Thresholds      `wire:"1" json:"cpu"`
	Memory     *Thresholds      `wire:"2" json:"memory"`
	QueueDepth *Thresholds      `wire:"3" json:"queue_depth_per_node"`
	Custom     []CustomMetric   `wire:"4" json:"custom"`
	Cooldown   string           `wire:"5" json:"cooldown"`
	Interval   string           `wire:"6" json:"interval"`
	ScaleUp    *ScaleUpPolicy   `wire:"7" json:"scale_up"`
	ScaleDown  *ScaleDownPolicy `wire:"8" json:"scale_down"`
	Nodes      *NodeBounds      `wire:"9" json:"nodes"`
	Predictive *Predictive      `wire:"10" json:"predictive"`
}
