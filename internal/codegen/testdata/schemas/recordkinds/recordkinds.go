// Package recordkinds is a test schema: one record field of each CRDT kind
// crdtgen supports, a nested record and ORMaps of records and of CRDTs.
package recordkinds

import "github.com/dwsdk/distributed/runtime/crdt"

// Inner is nested in Outer.
//
//crdt:record
type Inner struct {
	Hits crdt.GCounter            `wire:"1"`
	Note crdt.LWWRegister[string] `wire:"2"`
}

// Outer has every kind of field.
//
//crdt:record
type Outer struct {
	Hits    crdt.GCounter                         `wire:"1"`
	Balance crdt.PNCounter                        `wire:"2"`
	Flag    crdt.LWWRegister[bool]                `wire:"3"`
	Version crdt.MVRegister[uint64]               `wire:"4"`
	IDs     crdt.ORSet[int64]                     `wire:"5" json:"ids"`
	ByName  crdt.ORMap[string, Inner]             `wire:"6"`
	Sets    crdt.ORMap[int64, crdt.ORSet[string]] `wire:"7"`
	Counts  crdt.ORMap[string, crdt.PNCounter]    `wire:"8"`
	Child   Inner                                 `wire:"9"`
}
