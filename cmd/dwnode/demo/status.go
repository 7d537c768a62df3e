package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// status prints the live status table: the phase, one row per node, and
// the latest events. On a terminal it redraws in place every second;
// otherwise it prints a table every 5 seconds and events as they happen.
type status struct {
	d      *demo
	tty    bool
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	phaseS string
	events []string
	lines  int // lines of the last redraw
}

func newStatus(d *demo) *status {
	fi, err := os.Stdout.Stat()
	return &status{d: d, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

func (s *status) stamp() string {
	return fmt.Sprintf("[%6.2fs]", time.Since(s.d.start).Seconds())
}

func (s *status) phase(p string) {
	s.mu.Lock()
	s.phaseS = p
	s.mu.Unlock()
	s.event("== %s", p)
}

func (s *status) event(format string, a ...any) {
	line := s.stamp() + " " + fmt.Sprintf(format, a...)
	s.mu.Lock()
	s.events = append(s.events, line)
	if len(s.events) > 8 {
		s.events = s.events[len(s.events)-8:]
	}
	tty := s.tty
	s.mu.Unlock()
	if !tty {
		fmt.Println(line)
	}
}

// start begins the periodic table.
func (s *status) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		every := 5 * time.Second
		if s.tty {
			every = time.Second
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.draw(ctx)
			}
		}
	}()
}

// stop ends the table (after a last redraw).
func (s *status) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.draw(context.Background())
}

// draw prints the table.
func (s *status) draw(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 800*time.Millisecond)
	defer cancel()
	var b strings.Builder
	ms, err := s.d.members(ctx)
	s.mu.Lock()
	fmt.Fprintf(&b, "%s phase: %s\n", s.stamp(), s.phaseS)
	s.mu.Unlock()
	fmt.Fprintf(&b, "  %-14s %-8s %-9s %-9s %8s %8s  %s\n", "NODE", "SWIM", "RAFT", "LEADER", "LOAD/s", "RECORDS", "DIGEST")
	if err != nil {
		fmt.Fprintf(&b, "  (no node answers: %v)\n", err)
	}
	for _, m := range ms {
		role, leader, load, recs, digest := "-", "-", "-", "-", "-"
		if m.State == "alive" {
			if h, err := s.d.cli.Health(ctx, m.HTTPAddr); err == nil {
				s.d.notePid(m.Name, h.Pid)
				role, leader, recs = h.RaftRole, h.RaftLeader, fmt.Sprint(h.Records)
				load = fmt.Sprintf("%.0f", h.Load)
				if len(h.Digest) >= 12 {
					digest = h.Digest[:12]
				}
			}
		}
		fmt.Fprintf(&b, "  %-14s %-8s %-9s %-9s %8s %8s  %s\n", m.Name, m.State, role, leader, load, recs, digest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty {
		b.WriteString("  recent events:\n")
		for _, e := range s.events {
			b.WriteString("    " + e + "\n")
		}
		if s.lines > 0 {
			fmt.Printf("\033[%dA\033[J", s.lines)
		}
		s.lines = strings.Count(b.String(), "\n")
	}
	fmt.Print(b.String())
}
