package foreign

import "time"

//crdt:message
type M struct {
	Month time.Month `wire:"1"`
	Next  *time.Time `wire:"2"`
}

func Helper() {}

var X = 1
