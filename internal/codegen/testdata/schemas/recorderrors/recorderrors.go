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
