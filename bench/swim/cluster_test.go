package swim

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// full reports whether to measure every configuration: any -benchtime but
// the 1x smoke run, or SWIMBENCH=full.
func full() bool {
	if os.Getenv("SWIMBENCH") == "full" {
		return true
	}
	f := flag.Lookup("test.benchtime")
	return f != nil && f.Value.String() != "1x"
}

// timing is the protocol timing both implementations get.
type timing struct {
	probeInterval, probeTimeout, gossipInterval, pushPull, tcpTimeout time.Duration
}

// lanTiming is memberlist's DefaultLANConfig.
var lanTiming = timing{time.Second, 500 * time.Millisecond, 200 * time.Millisecond, 30 * time.Second, 10 * time.Second}

// smokeTiming is lanTiming five times faster, for the 1x smoke run.
var smokeTiming = timing{200 * time.Millisecond, 100 * time.Millisecond, 40 * time.Millisecond, 6 * time.Second, 2 * time.Second}

// impl is one implementation under test.
type impl interface {
	// start creates member i (name fmt.Sprintf("m%03d", i)); loss is the
	// fraction of outgoing packets its transport wrapper drops.
	start(i int, loss float64, t timing, rec *recorder) error
	addr(i int) string
	join(ctx context.Context, i int, seed string) error
	members(i int) int
	// kill stops member i silently (no leave).
	kill(i int)
	// sent returns the bytes and packets member i has sent.
	sent(i int) (bytes, packets uint64)
	close()
}

// recorder timestamps failure events.
type recorder struct {
	mu     sync.Mutex
	deaths map[string][]death // by member
}

type death struct {
	observer string
	at       time.Time
}

func newRecorder() *recorder { return &recorder{deaths: map[string][]death{}} }

func (r *recorder) failed(observer, member string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deaths[member] = append(r.deaths[member], death{observer, time.Now()})
}

// seenBy returns, for each observer, the first time it declared member dead
// at or after since, sorted.
func (r *recorder) seenBy(member string, since time.Time) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := map[string]time.Time{}
	for _, d := range r.deaths[member] {
		if t, ok := first[d.observer]; !d.at.Before(since) && (!ok || d.at.Before(t)) {
			first[d.observer] = d.at
		}
	}
	out := make([]time.Time, 0, len(first))
	for _, at := range first {
		out = append(out, at)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// falseDeaths counts declarations of healthy members: any member but the
// victim, and the victim before it was killed.
func (r *recorder) falseDeaths(victim string, killed time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for member, ds := range r.deaths {
		for _, d := range ds {
			if member != victim || d.at.Before(killed) {
				n++
			}
		}
	}
	return n
}

func name(i int) string { return fmt.Sprintf("m%03d", i) }

// dropper decides which packets a lossy transport wrapper drops.
type dropper struct {
	mu   sync.Mutex
	rng  *rand.Rand
	loss float64
}

func newDropper(seed uint64, loss float64) *dropper {
	return &dropper{rng: rand.New(rand.NewPCG(seed, 7)), loss: loss}
}

func (d *dropper) drop() bool {
	if d.loss == 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.Float64() < d.loss
}

// counter counts sent packets.
type counter struct{ bytes, packets atomic.Uint64 }

func (c *counter) add(n int) {
	c.bytes.Add(uint64(n))
	c.packets.Add(1)
}

// result is what one scenario measures.
type result struct {
	join, firstDetect, lastDetect time.Duration
	falseDeaths                   int
	bytesPerMemberSec             float64
	packetsPerMemberSec           float64
	// steadyBytesPerMemberSec counts only the 10 probe intervals before
	// the kill; failureBytesPerMemberSec only the kill to the last
	// detection. Both windows sum to the one above.
	steadyBytesPerMemberSec  float64
	failureBytesPerMemberSec float64
	// failed is 1 when the run did not converge or not every survivor
	// detected the failure within 3 minutes (then the times are lower
	// bounds).
	failed int
}

// runScenario starts n members, joins them, waits for convergence, lets the
// cluster run, silently kills one member and waits until every survivor
// declares it dead.
func runScenario(tb testing.TB, im impl, n int, loss float64, t timing) result {
	rec := newRecorder()
	defer im.close()
	for i := range n {
		if err := im.start(i, loss, t, rec); err != nil {
			tb.Fatalf("start member %d: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	begin := time.Now()
	seed := im.addr(0)
	for i := 1; i < n; i++ { // one after another through the seed
		for {
			err := im.join(ctx, i, seed)
			if err == nil {
				break
			}
			if ctx.Err() != nil { // a lost packet may fail a join under loss: retry until then
				tb.Fatalf("member %d cannot join: %v", i, err)
			}
		}
	}
	converged := func(skip int) bool {
		for i := range n {
			if i != skip && im.members(i) != n {
				return false
			}
		}
		return true
	}
	var res result
	if !waitFor(3*time.Minute, func() bool { return converged(-1) }) {
		// Reported, not fatal: the peer may not converge on a loaded machine.
		tb.Logf("%d members did not converge within 3m", n)
		res.join, res.failed = time.Since(begin), 1
		return res
	}
	res.join = time.Since(begin)

	victim := n / 2
	traffic := func() (b, p uint64) {
		for i := range n {
			if i != victim {
				bi, pi := im.sent(i)
				b, p = b+bi, p+pi
			}
		}
		return
	}
	b0, p0 := traffic()
	t0 := time.Now()
	time.Sleep(10 * t.probeInterval) // steady state: probes and gossip only

	bk, _ := traffic()
	im.kill(victim)
	killed := time.Now()
	done := waitFor(3*time.Minute, func() bool { return len(rec.seenBy(name(victim), killed)) >= n-1 })
	seen := rec.seenBy(name(victim), killed)
	if !done {
		tb.Logf("not every survivor declared the victim dead within 3m")
		res.failed = 1
		seen = append(seen, time.Now()) // the times are lower bounds
	}
	res.firstDetect = seen[0].Sub(killed)
	res.lastDetect = seen[len(seen)-1].Sub(killed)
	b1, p1 := traffic()
	secs := time.Since(t0).Seconds() * float64(n-1)
	res.bytesPerMemberSec = float64(b1-b0) / secs
	res.packetsPerMemberSec = float64(p1-p0) / secs
	res.steadyBytesPerMemberSec = float64(bk-b0) / (killed.Sub(t0).Seconds() * float64(n-1))
	res.failureBytesPerMemberSec = float64(b1-bk) / (time.Since(killed).Seconds() * float64(n-1))
	res.falseDeaths = rec.falseDeaths(name(victim), killed)
	return res
}

// waitFor polls cond until it holds (true) or d passes (false).
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// BenchmarkCluster runs the same scenario on both implementations over real
// UDP on loopback: join convergence, first and last detection of a silent
// failure, false deaths, and traffic per member, without and with 10% of
// packets dropped by a wrapper around each transport.
func BenchmarkCluster(b *testing.B) {
	sizes, losses, tm := []int{32, 100}, []float64{0, 0.1}, lanTiming
	if !full() {
		sizes, losses, tm = []int{8}, []float64{0}, smokeTiming
	}
	impls := []struct {
		name string
		make func() impl
	}{
		{"ours", func() impl { return &ours{} }},
		{"memberlist", func() impl { return &peer{} }},
	}
	for _, n := range sizes {
		for _, loss := range losses {
			for _, im := range impls {
				b.Run(fmt.Sprintf("n=%d/loss=%d%%/impl=%s", n, int(loss*100), im.name), func(b *testing.B) {
					var sum result
					for range b.N {
						r := runScenario(b, im.make(), n, loss, tm)
						sum.join += r.join
						sum.firstDetect += r.firstDetect
						sum.lastDetect += r.lastDetect
						sum.falseDeaths += r.falseDeaths
						sum.bytesPerMemberSec += r.bytesPerMemberSec
						sum.packetsPerMemberSec += r.packetsPerMemberSec
						sum.steadyBytesPerMemberSec += r.steadyBytesPerMemberSec
						sum.failureBytesPerMemberSec += r.failureBytesPerMemberSec
						sum.failed += r.failed
					}
					N := float64(b.N)
					b.ReportMetric(0, "ns/op")
					b.ReportMetric(float64(sum.join.Milliseconds())/N, "join-ms")
					b.ReportMetric(float64(sum.firstDetect.Milliseconds())/N, "first-detect-ms")
					b.ReportMetric(float64(sum.lastDetect.Milliseconds())/N, "last-detect-ms")
					b.ReportMetric(float64(sum.falseDeaths)/N, "false-deaths")
					b.ReportMetric(sum.bytesPerMemberSec/N, "B/member/s")
					b.ReportMetric(sum.packetsPerMemberSec/N, "pkts/member/s")
					b.ReportMetric(sum.steadyBytesPerMemberSec/N, "steady-B/member/s")
					b.ReportMetric(sum.failureBytesPerMemberSec/N, "failure-B/member/s")
					b.ReportMetric(float64(sum.failed)/N, "unfinished")
				})
			}
		}
	}
}
