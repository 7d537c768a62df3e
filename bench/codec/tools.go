//go:build tools

package codec

// The generators `go generate` runs in this package and in peer/.
import (
	_ "github.com/dwsdk/distributed/cmd/crdtgen"
	_ "github.com/mailru/easyjson/easyjson"
	_ "github.com/tinylib/msgp"
)
