package autoscale

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// nodeModeEnv makes the test binary act as a node for the process executor
// tests: "well" exits on SIGTERM, "stubborn" ignores it, "crash" exits 3.
const nodeModeEnv = "AUTOSCALE_TEST_NODE"

func TestMain(m *testing.M) {
	if mode := os.Getenv(nodeModeEnv); mode != "" {
		os.Exit(runTestNode(mode, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

// runTestNode prints "ready <args>" once its signal handling is in place,
// so the test knows when it may signal it.
func runTestNode(mode string, args []string) int {
	term := make(chan os.Signal, 1)
	switch mode {
	case "well":
		signal.Notify(term, syscall.SIGTERM)
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
	}
	fmt.Printf("ready %s %v\n", mode, args)
	switch mode {
	case "well":
		<-term
		fmt.Printf("bye %v\n", args)
		return 0
	case "crash":
		return 3
	default:
		time.Sleep(time.Hour) // until SIGKILL
		return 0
	}
}
