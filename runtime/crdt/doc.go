// Package crdt provides delta-state conflict-free replicated data types:
// counters, registers, an add-wins observed-remove set whose metadata stays
// bounded, and observed-remove maps, built on dots and causal contexts.
package crdt
