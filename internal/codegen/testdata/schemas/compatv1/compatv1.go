// Package compatv1 is version 1 of a message, for the compatibility test.
package compatv1

// Item is version 1.
//
//crdt:message
type Item struct {
	ID    string `wire:"1"`
	Count int64  `wire:"2"`
	Owner *Owner `wire:"3"`
}

// Owner is nested in both versions.
//
//crdt:message
type Owner struct {
	Name string `wire:"1"`
}
