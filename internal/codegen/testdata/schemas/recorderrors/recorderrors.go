// Package recorderrors is a test schema whose records are invalid.
package recorderrors

import "github.com/dwsdk/distributed/runtime/crdt"

// Bad has one error per field.
//
//crdt:record
type Bad struct {
	Name   string              `wire:"1"`
	Ratio  crdt.ORSet[float64] `wire:"2"`
	NoTag  crdt.GCounter
	Dup    crdt.PNCounter                                        `wire:"4"`
	Dup2   crdt.PNCounter                                        `wire:"4"`
	Nested crdt.ORMap[string, crdt.ORMap[string, crdt.GCounter]] `wire:"5"`
	Merge  crdt.GCounter                                         `wire:"6"`
	Clock  crdt.Clock                                            `wire:"7"`
}

// Good is a valid record.
//
//crdt:record
type Good struct {
	Hits crdt.GCounter `wire:"1"`
}

// Env may not hold records: messages carry a record's encoding as bytes.
//
//crdt:message
type Env struct {
	Rec  Good            `wire:"1"`
	Ptr  *Good           `wire:"2"`
	List []Good          `wire:"3"`
	Map  map[string]Good `wire:"4"`
	Enc  []byte          `wire:"5"`
}
