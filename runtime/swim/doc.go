// Package swim implements SWIM group membership and failure detection with
// the Lifeguard extensions, in the manner of hashicorp/memberlist.
//
// Each member probes one other member per probe interval, round-robin over
// a shuffled list; a member that does not answer directly, through k
// indirect probers (which nack if they get no answer either) or over TCP
// becomes suspect, and is declared dead when its suspicion times out.
// Lifeguard makes this robust to slow members: the suspicion timeout starts
// long and shrinks as independent members confirm the suspicion; a member
// that misses nacks or has to refute suspicions of itself stretches its own
// probe interval and timeout (local health awareness); and a probe of a
// suspect member carries the suspicion, so it can refute at once.
// Membership news is piggybacked on probe traffic and gossiped, each
// message retransmitted RetransmitMult*ceil(log10(n+1)) times, newest and
// least-sent first; user broadcasts ride along from their own queue. Full
// state is exchanged over TCP on join and periodically.
//
// Packets are compounds of messages generated from schemas/swimwire,
// optionally sealed with AES-GCM under a rotating Keyring, with the
// cluster label as additional data.
//
// Usage:
//
//	cfg := swim.DefaultLANConfig()
//	cfg.Name = "node-1"
//	cfg.Events = func(e swim.Event) { log.Println(e.Type, e.Member.Name) }
//	n, err := swim.Create(cfg)
//	if err != nil { ... }
//	defer n.Shutdown()
//	if _, err := n.Join(ctx, "10.0.0.2:7946"); err != nil { ... }
//	...
//	n.Leave(ctx)
//
// The protocol runs on an injectable Transport and Clock: Sim provides an
// in-memory network with virtual time on which thousands of Nodes run
// deterministically from a seed.
package swim
