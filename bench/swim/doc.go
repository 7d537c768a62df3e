// Package swim compares runtime/swim with hashicorp/memberlist side by side:
// real UDP on loopback with memberlist's LAN timings for both, and a
// virtual-time simulation of 1,000 and 10,000 members.
//
// `go test -bench . -benchtime 1x` (as `make test` runs it) measures the
// smallest configuration only; any other -benchtime, or SWIMBENCH=full,
// measures all of them.
package swim
