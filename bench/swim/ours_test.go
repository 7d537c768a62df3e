package swim

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/dwsdk/distributed/runtime/swim"
)

// ours drives runtime/swim.
type ours struct {
	mu    sync.Mutex
	nodes []*swim.Node
	cnt   []*counter
}

// lossyTransport wraps the real transport, counting and dropping packets.
type lossyTransport struct {
	swim.Transport
	d *dropper
	c *counter
}

func (l *lossyTransport) SendPacket(addr string, p []byte) error {
	l.c.add(len(p))
	if l.d.drop() {
		return nil
	}
	return l.Transport.SendPacket(addr, p)
}

func (o *ours) start(i int, loss float64, t timing, rec *recorder) error {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tr, err := swim.NewNetTransport("127.0.0.1:0", quiet)
	if err != nil {
		return err
	}
	c := &counter{}
	cfg := swim.DefaultLANConfig()
	cfg.Name = name(i)
	cfg.ProbeInterval, cfg.ProbeTimeout, cfg.GossipInterval = t.probeInterval, t.probeTimeout, t.gossipInterval
	cfg.PushPullInterval, cfg.TCPTimeout = t.pushPull, t.tcpTimeout
	cfg.Logger = quiet
	cfg.Transport = &lossyTransport{Transport: tr, d: newDropper(uint64(i), loss), c: c}
	observer := cfg.Name
	cfg.Events = func(e swim.Event) {
		if e.Type == swim.EventFailed {
			rec.failed(observer, e.Member.Name)
		}
	}
	n, err := swim.Create(cfg)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.nodes = append(o.nodes, n)
	o.cnt = append(o.cnt, c)
	o.mu.Unlock()
	return nil
}

func (o *ours) addr(i int) string { return o.nodes[i].LocalNode().Addr }

func (o *ours) join(ctx context.Context, i int, seed string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := o.nodes[i].Join(ctx, seed)
	return err
}

func (o *ours) members(i int) int { return o.nodes[i].NumMembers() }
func (o *ours) kill(i int)        { o.nodes[i].Shutdown() }
func (o *ours) sent(i int) (uint64, uint64) {
	return o.cnt[i].bytes.Load(), o.cnt[i].packets.Load()
}

func (o *ours) close() {
	for _, n := range o.nodes {
		n.Shutdown()
	}
}
