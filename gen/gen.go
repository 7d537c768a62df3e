// Package gen holds the code crdtgen generates from the schema packages under
// schemas/, one package per schema package. Nothing here is edited by hand:
// change a schema and run `go generate ./...` (or `make generate`).
package gen

//go:generate go run ../cmd/crdtgen -out . ../schemas/...
