package codegen

import (
	"math"
	"testing"
	"time"

	"github.com/dwsdk/distributed/runtime/wire"
	"github.com/stretchr/testify/require"
)

// TestJSONFixedLenIsLongest: jsonSize counts bools, floats and times at
// jsonFixedLen without looking at them, so no value may encode longer, or
// MarshalJSON grows its buffer and the generated tests' jsonSize check
// fails. The longest floats have 17 significant digits written in 'f'
// format just above 1e-6.
func TestJSONFixedLenIsLongest(t *testing.T) {
	longest := func(kind Kind, bits int, b []byte) {
		t.Helper()
		require.LessOrEqual(t, len(b), jsonFixedLen(&Type{Kind: kind, Bits: bits}), "%s", b)
	}
	longest(KindBool, 0, []byte("false"))
	for _, f := range []float64{-1.2345678901234567e-06, -9.999999999999999e-06, -1.0000000000000002e-06,
		-math.MaxFloat64, -math.SmallestNonzeroFloat64, -2.2250738585072014e-308, -9.999999999999998e+20, -1.2345678901234567e+20} {
		b, err := wire.AppendJSONFloat(nil, f, 64)
		require.NoError(t, err)
		longest(KindFloat, 64, b)
	}
	for _, f := range []float32{-1.2345678e-06, -math.MaxFloat32, -math.SmallestNonzeroFloat32, -9.999999e+20} {
		b, err := wire.AppendJSONFloat(nil, float64(f), 32)
		require.NoError(t, err)
		longest(KindFloat, 32, b)
	}
	b, err := wire.AppendJSONTime(nil, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(23*3600+59*60))))
	require.NoError(t, err)
	longest(KindTime, 0, b)
}
