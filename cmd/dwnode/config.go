package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything a dwnode process is told at start. Every flag has an
// environment variable (DWNODE_ plus the flag name in upper case with
// dashes as underscores); a flag given on the command line wins.
type Config struct {
	Name     string // unique node name
	DataDir  string // Raft WAL, stable store and snapshots
	SWIMAddr string // UDP+TCP host:port of SWIM
	RaftAddr string // TCP host:port of Raft
	HTTPAddr string // host:port of the HTTP API
	// ReplicaAddr is the TCP host:port of the CRDT anti-entropy stream,
	// advertised to the peers in the SWIM metadata.
	ReplicaAddr string
	// StreamThreshold is the encoded size in bytes above which replication
	// messages leave SWIM for the anti-entropy stream.
	StreamThreshold int
	Join            []string // SWIM seed addresses; empty: first node
	Bootstrap       bool     // bootstrap a new Raft cluster with this node alone
	Token           string   // bearer token required on writes; empty: none
	AddrFile        string   // when set, the bound addresses are written here
	LogLevel        slog.Level
	SWIM            string // timing profile: local or lan

	ReplicaTick time.Duration // replica engine tick
	PruneAfter  time.Duration // dead this long: its CRDT replica id is pruned; 0: SWIM's reap time
	MarkerTTL   time.Duration // pruning markers kept this long after every live peer acknowledged them
	Election    time.Duration // Raft election timeout (minimum)
	Heartbeat   time.Duration // Raft heartbeat interval

	Autoscale        bool          // run the auto-scaler while Raft leader
	ScaleMin         int           // fewest nodes
	ScaleMax         int           // most nodes
	ScaleInterval    time.Duration // evaluation interval
	ScaleCooldown    time.Duration // least time between scale events
	ScaleQueueUp     float64       // requests/s per node above which to scale up
	ScaleQueueDown   float64       // requests/s per node below which to scale down
	ScaleResources   bool          // also scale on CPU and memory
	ScaleBinary      string        // dwnode binary the executor starts; default: this one
	ScaleStopTimeout time.Duration // SIGTERM grace period before SIGKILL
	ShutdownTimeout  time.Duration // graceful shutdown bound
	FaultInjection   bool          // serve POST /v1/admin/sever (tests only)
}

// parseConfig reads flags from args and variables from getenv.
func parseConfig(args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("dwnode", flag.ContinueOnError)
	host, _ := os.Hostname()
	var join, level string
	fs.StringVar(&c.Name, "name", host, "unique node name")
	fs.StringVar(&c.DataDir, "data", "", "data directory for the Raft log and snapshots (default ./dwnode-data/NAME)")
	fs.StringVar(&c.SWIMAddr, "swim-addr", "127.0.0.1:7946", "SWIM UDP and TCP address (port 0 picks one)")
	fs.StringVar(&c.RaftAddr, "raft-addr", "127.0.0.1:7947", "Raft TCP address (port 0 picks one)")
	fs.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:8080", "HTTP API address (port 0 picks one)")
	fs.StringVar(&c.ReplicaAddr, "replica-addr", "127.0.0.1:0", "CRDT anti-entropy stream TCP address, advertised through SWIM (port 0 picks one)")
	fs.IntVar(&c.StreamThreshold, "replica-stream-threshold", 1024,
		"CRDT replication messages up to this many encoded bytes ride SWIM (fresh deltas as piggybacked broadcasts); larger ones go over the TCP anti-entropy stream")
	fs.StringVar(&join, "join", "", "comma-separated SWIM addresses of members to join")
	fs.BoolVar(&c.Bootstrap, "bootstrap", false, "bootstrap a new Raft cluster with this node (the first node only)")
	fs.StringVar(&c.Token, "token", "", "bearer token required on write requests (empty: no authentication)")
	fs.StringVar(&c.AddrFile, "addr-file", "", "write the bound addresses to this file once serving")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.SWIM, "swim-profile", "local", "SWIM timings: local (loopback, fast) or lan")
	fs.DurationVar(&c.ReplicaTick, "replica-tick", 50*time.Millisecond, "CRDT replication tick")
	fs.DurationVar(&c.PruneAfter, "prune-after", time.Hour, "prune the CRDT replica id of a member dead this long; it must outlast any partition to ride out and any outage after which a node's unreplicated writes must survive its restart (0: SWIM's reap time)")
	fs.DurationVar(&c.MarkerTTL, "prune-marker-ttl", 24*time.Hour, "keep pruning markers this long after every live peer acknowledged them; longer than a node may stay down and come back from its disk")
	fs.DurationVar(&c.Election, "raft-election", 300*time.Millisecond, "Raft election timeout (minimum)")
	fs.DurationVar(&c.Heartbeat, "raft-heartbeat", 50*time.Millisecond, "Raft heartbeat interval")
	fs.BoolVar(&c.Autoscale, "autoscale", false, "run the auto-scaler while this node is the Raft leader")
	fs.IntVar(&c.ScaleMin, "scale-min", 1, "auto-scaler: fewest nodes")
	fs.IntVar(&c.ScaleMax, "scale-max", 10, "auto-scaler: most nodes")
	fs.DurationVar(&c.ScaleInterval, "scale-interval", 15*time.Second, "auto-scaler: evaluation interval")
	fs.DurationVar(&c.ScaleCooldown, "scale-cooldown", 60*time.Second, "auto-scaler: least time between scale events")
	fs.Float64Var(&c.ScaleQueueUp, "scale-queue-up", 100, "auto-scaler: requests/s per node above which to scale up")
	fs.Float64Var(&c.ScaleQueueDown, "scale-queue-down", 10, "auto-scaler: requests/s per node below which to scale down")
	fs.BoolVar(&c.ScaleResources, "scale-resources", true, "auto-scaler: also scale on CPU (80/30 %) and memory (85/40 %)")
	fs.StringVar(&c.ScaleBinary, "scale-binary", "", "auto-scaler: dwnode binary to start (default: this executable)")
	fs.DurationVar(&c.ScaleStopTimeout, "scale-stop-timeout", 10*time.Second, "auto-scaler: grace period between SIGTERM and SIGKILL")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "bound on graceful shutdown")
	fs.BoolVar(&c.FaultInjection, "fault-injection", false, "serve POST /v1/admin/sever, which cuts the node's traffic (for tests; never in production)")

	// Environment first, so that flags on the command line override it.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		key := "DWNODE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(key); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("dwnode: environment %s=%q: %w", key, v, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("dwnode: unexpected argument %q", fs.Arg(0))
	}
	for _, s := range strings.Split(join, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.Join = append(c.Join, s)
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return c, fmt.Errorf("dwnode: -log-level %q: %w", level, err)
	}
	if c.DataDir == "" {
		c.DataDir = "dwnode-data/" + c.Name
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("dwnode: "+format, a...)) }
	if c.Name == "" || strings.ContainsAny(c.Name, " /\t\n") {
		bad("-name %q must be non-empty, without spaces or slashes", c.Name)
	}
	for _, j := range c.Join { // else each is retried for 30 s before the node gives up
		_, port, err := net.SplitHostPort(j)
		if p, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil || p == 0 {
			bad("-join %q: want host:port with a port from 1 to 65535", j)
		}
	}
	if c.SWIM != "local" && c.SWIM != "lan" {
		bad("-swim-profile %q: want local or lan", c.SWIM)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"replica-tick", c.ReplicaTick}, {"raft-election", c.Election}, {"raft-heartbeat", c.Heartbeat},
		{"scale-interval", c.ScaleInterval}, {"shutdown-timeout", c.ShutdownTimeout}} {
		if d.v <= 0 {
			bad("-%s %v must be positive", d.name, d.v)
		}
	}
	if c.StreamThreshold < 0 || c.StreamThreshold > 64<<10 {
		bad("-replica-stream-threshold %d: want 0 to %d bytes", c.StreamThreshold, 64<<10)
	}
	if c.PruneAfter < 0 || c.MarkerTTL < 0 {
		bad("-prune-after %v and -prune-marker-ttl %v must not be negative", c.PruneAfter, c.MarkerTTL)
	}
	if c.Heartbeat >= c.Election {
		bad("-raft-heartbeat %v must be shorter than -raft-election %v", c.Heartbeat, c.Election)
	}
	if c.ScaleMin < 1 || c.ScaleMax < c.ScaleMin {
		bad("-scale-min %d and -scale-max %d: want 1 <= min <= max", c.ScaleMin, c.ScaleMax)
	}
	switch {
	case math.IsNaN(c.ScaleQueueUp) || math.IsInf(c.ScaleQueueUp, 0):
		bad("-scale-queue-up %v must be a finite number", c.ScaleQueueUp)
	case math.IsNaN(c.ScaleQueueDown) || c.ScaleQueueDown < 0:
		bad("-scale-queue-down %v must not be negative", c.ScaleQueueDown)
	case c.ScaleQueueDown >= c.ScaleQueueUp:
		bad("-scale-queue-down %v must be below -scale-queue-up %v", c.ScaleQueueDown, c.ScaleQueueUp)
	}
	if c.ScaleCooldown < 0 {
		bad("-scale-cooldown %v must not be negative", c.ScaleCooldown)
	}
	if c.ScaleStopTimeout <= 0 {
		bad("-scale-stop-timeout %v must be positive", c.ScaleStopTimeout)
	}
	if c.Autoscale && c.ScaleBinary != "" { // else found missing only at the first scale-up
		if st, err := os.Stat(c.ScaleBinary); err != nil {
			bad("-scale-binary %q: %v", c.ScaleBinary, err)
		} else if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			bad("-scale-binary %q: not an executable file", c.ScaleBinary)
		}
	}
	if len(errs) == 0 {
		// Whatever else the scaler's own rules refuse, it would refuse only
		// once this node leads; refuse it now.
		if err := c.scalerConfig().Validate(); err != nil {
			bad("auto-scaler flags: %w", err)
		}
	}
	return errors.Join(errs...)
}

// itoa is strconv.Itoa, short.
func itoa(i int) string { return strconv.Itoa(i) }
