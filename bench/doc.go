// Package bench measures the SDK side by side with peer libraries in one run.
// It is a separate module so the peers never enter the root module's go.mod.
//
// Benchmarks name the implementation in a sub-benchmark key, impl=ours or
// impl=<peer>, so `benchstat -col /impl` prints them as columns.
package bench
