// Package compatv1 has the name of testdata/schemas/compatv1, which
// TestSchemaErrors generates in the same run.
package compatv1

//crdt:message
type Other struct {
	A string `wire:"1"`
	B string
}
