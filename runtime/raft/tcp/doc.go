// Package tcp is the TCP transport of package raft, with optional mutual
// TLS.
//
// Every message travels as one length-prefixed frame holding the generated
// binary encoding of a raftwire.Message. A server keeps one outbound
// connection per peer: Send queues without blocking, and the peer's writer
// goroutine writes all that is queued with a single flush, so log appends
// pipeline and a burst costs one system call. Connections start with a
// hello naming the sender's server ID; a receiver that has been given the
// configuration (SetPeers) refuses servers outside it. Frames above
// MaxFrameSize are refused at Send and a peer announcing one is
// disconnected, so snapshots travel as InstallSnapshot chunks below that
// size.
//
// Usage:
//
//	cfg := tcp.DefaultConfig()
//	cfg.ID, cfg.ListenAddr = "n1", "10.0.0.1:7000"
//	cfg.TLS = serverAndClientTLS // optional, for mutual TLS
//	tr, err := tcp.New(ctx, cfg)
//	// hand tr to the raft node; it calls SetPeers, Send and reads Inbound.
//	defer tr.Close()
package tcp
