// Package compatv2 is version 2 of compatv1's message: it adds fields of
// several wire types, in Item and in the nested Owner.
package compatv2

// Item is version 2.
//
//crdt:message
type Item struct {
	ID     string            `wire:"1"`
	Count  int64             `wire:"2"`
	Owner  *Owner            `wire:"3"`
	Tags   []string          `wire:"4"`
	Weight float64           `wire:"5"`
	Score  float32           `wire:"6"`
	Labels map[string]uint32 `wire:"7"`
	Big    uint64            `wire:"1000"`
}

// Owner gains a field.
//
//crdt:message
type Owner struct {
	Name  string `wire:"1"`
	Email string `wire:"2"`
}
