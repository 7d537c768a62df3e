// Package swim implements SWIM group membership and failure detection with
// the Lifeguard extensions.
package swim
