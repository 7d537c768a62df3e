package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const fixture = "../../runtime/autoscale/sim/testdata/nasa-1995-07-13.txt.gz"

func TestRunWritesTableAndSVG(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "plot.svg")
	var out bytes.Buffer
	err := run([]string{"-trace", fixture, "-compress", "4", "-svg", svg, "-plot-from", "0s", "-plot-length", "6h"}, &out)
	require.NoError(t, err)
	table := out.String()
	for _, want := range []string{"rate x500, time compressed x4", "| ours (seed defaults) |", "| ours (predictive) |", "| hpa (cpu target 50 %) |", "| static-peak |"} {
		require.Contains(t, table, want)
	}
	b, err := os.ReadFile(svg)
	require.NoError(t, err)
	require.True(t, strings.Contains(string(b), "<svg"), "an SVG document")
	require.Contains(t, string(b), "Load and ready capacity")
}

func TestRunErrors(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-trace", filepath.Join(t.TempDir(), "absent.gz")}, &out)
	require.ErrorContains(t, err, "absent.gz")
	err = run([]string{"-trace", fixture, "-capacity", "0"}, &out)
	require.ErrorContains(t, err, "capacity must be a positive number")
	err = run([]string{"-trace", fixture, "-svg", filepath.Join(t.TempDir(), "p.svg"), "-plot-from", "1000h"}, &out)
	require.ErrorContains(t, err, "no samples")
	// Flags that would replay garbage (negative or NaN loads, an HPA
	// aiming at 0 %) are refused, naming the flag.
	for _, tc := range []struct{ flag, value string }{
		{"-scale", "-1"}, {"-scale", "NaN"}, {"-scale", "0"}, {"-compress", "0"}, {"-compress", "-3"},
		{"-smooth", "-1"}, {"-hpa-target", "0"}, {"-hpa-target", "-5"}, {"-hpa-target", "+Inf"}, {"-plot-every", "0"},
	} {
		err = run([]string{"-trace", fixture, tc.flag, tc.value}, &out)
		require.ErrorContains(t, err, tc.flag+" "+tc.value, "%s %s", tc.flag, tc.value)
	}
	err = run([]string{"-no-such-flag"}, &out)
	require.Error(t, err)
}
