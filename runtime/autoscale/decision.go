package autoscale

import "github.com/dwsdk/distributed/gen/autoscalewire"

// Decision is the outcome of one evaluation: the action, the node delta, the
// reading and vote of every metric and what blocked the change. It is the
// generated autoscalewire.Decision, so it encodes to JSON and binary without
// reflection.
type Decision = autoscalewire.Decision

// MetricReading is one metric as an evaluation saw it.
type MetricReading = autoscalewire.MetricReading

// ScaleEvent records one change an executor carried out.
type ScaleEvent = autoscalewire.ScaleEvent

// Block is one thing that stopped or reduced a change.
type Block = autoscalewire.Block

// Actions, votes and block kinds, re-exported from the generated package.
const (
	ActionNone      = autoscalewire.ActionNone
	ActionScaleUp   = autoscalewire.ActionScaleUp
	ActionScaleDown = autoscalewire.ActionScaleDown

	VoteHold       = autoscalewire.VoteHold
	VoteUp         = autoscalewire.VoteUp
	VoteDown       = autoscalewire.VoteDown
	VoteUnreadable = autoscalewire.VoteUnreadable

	BlockCooldown   = autoscalewire.BlockCooldown
	BlockBounds     = autoscalewire.BlockBounds
	BlockHealth     = autoscalewire.BlockHealth
	BlockUnreadable = autoscalewire.BlockUnreadable
	BlockExecutor   = autoscalewire.BlockExecutor
)

// Blocked reports whether d carries a block of the given kind.
func Blocked(d Decision, kind autoscalewire.BlockKind) bool {
	for _, b := range d.Blocked {
		if b.Kind == kind {
			return true
		}
	}
	return false
}

// ActionString names an action for logs.
func ActionString(a autoscalewire.Action) string {
	switch a {
	case ActionScaleUp:
		return "scale-up"
	case ActionScaleDown:
		return "scale-down"
	default:
		return "none"
	}
}
