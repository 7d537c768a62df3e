// Package codec benchmarks the codecs crdtgen generates against the peers:
// encoding/json (package plain, by reflection), easyjson-generated code and
// msgp-generated code (package peer), on identical struct definitions: a Raft
// AppendEntries carrying 64 entries of 128 bytes and a SWIM packet of 8
// Alive messages.
//
// Sub-benchmark keys are op=<op>/msg=<msg>/impl=<impl>, so
// `benchstat -col /impl` puts the implementations side by side.
package codec

//go:generate go run github.com/dwsdk/distributed/cmd/crdtgen -out gen ./schemas/benchwire
