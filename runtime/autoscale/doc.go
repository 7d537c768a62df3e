// Package autoscale decides when a cluster should grow or shrink from CPU,
// memory, queue-depth and custom metrics, and acts through an Executor.
package autoscale
