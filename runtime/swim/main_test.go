package swim

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// soak reports whether SOAK=1 asks for the long runs.
func soak() bool { return os.Getenv("SOAK") == "1" }

// testSeed returns SWIM_SEED if set, else def; randomised tests log it so a
// failure can be replayed.
func testSeed(t *testing.T, def uint64) uint64 {
	t.Helper()
	seed := def
	if s := os.Getenv("SWIM_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SWIM_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with SWIM_SEED=%d)", seed, seed)
	return seed
}
