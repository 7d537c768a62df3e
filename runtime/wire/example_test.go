package wire_test

import (
	"errors"
	"fmt"

	"github.com/dwsdk/distributed/gen/raftwire"
	"github.com/dwsdk/distributed/runtime/wire"
)

// Decoders of generated types report bad input as a *wire.Error naming the
// type, the field and the byte offset.
func ExampleError() {
	frame := []byte{0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f} // AppendEntries.Entries with a 4 GiB length
	var m raftwire.AppendEntries
	err := m.UnmarshalBinary(frame)
	fmt.Println(err)

	var we *wire.Error
	if errors.As(err, &we) {
		fmt.Println(we.Type, we.Field, we.Offset, errors.Is(err, wire.ErrTruncated))
	}
	// Output:
	// raftwire.AppendEntries.Entries: offset 1: length 4294967295 exceeds remaining 0 bytes
	// raftwire.AppendEntries Entries 1 true
}
