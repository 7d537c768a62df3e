package swim

import (
	"context"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// peer drives hashicorp/memberlist.
type peer struct {
	mu    sync.Mutex
	nodes []*memberlist.Memberlist
	cnt   []*counter
}

// lossyNetTransport wraps memberlist's NetTransport, counting and dropping
// packets. It deliberately implements only memberlist.Transport (not the
// node-aware extension), so every packet goes through WriteTo.
type lossyNetTransport struct {
	t *memberlist.NetTransport
	d *dropper
	c *counter
}

func (l *lossyNetTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return l.t.FinalAdvertiseAddr(ip, port)
}

func (l *lossyNetTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	l.c.add(len(b))
	if l.d.drop() {
		return time.Now(), nil
	}
	return l.t.WriteTo(b, addr)
}

func (l *lossyNetTransport) PacketCh() <-chan *memberlist.Packet { return l.t.PacketCh() }
func (l *lossyNetTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return l.t.DialTimeout(addr, timeout)
}
func (l *lossyNetTransport) StreamCh() <-chan net.Conn { return l.t.StreamCh() }
func (l *lossyNetTransport) Shutdown() error           { return l.t.Shutdown() }

// events records memberlist's failure notifications.
type events struct {
	observer string
	rec      *recorder
}

func (e *events) NotifyJoin(*memberlist.Node)   {}
func (e *events) NotifyUpdate(*memberlist.Node) {}

// NotifyLeave is called for dead and left members alike (memberlist does
// not set Node.State); the scenarios have no graceful leave, so each call
// is a failure.
func (e *events) NotifyLeave(n *memberlist.Node) { e.rec.failed(e.observer, n.Name) }

func (p *peer) start(i int, loss float64, t timing, rec *recorder) error {
	quiet := log.New(io.Discard, "", 0)
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{"127.0.0.1"}, BindPort: 0, Logger: quiet})
	if err != nil {
		return err
	}
	c := &counter{}
	cfg := memberlist.DefaultLANConfig()
	cfg.Name = name(i)
	cfg.BindAddr, cfg.BindPort = "127.0.0.1", 0
	cfg.ProbeInterval, cfg.ProbeTimeout, cfg.GossipInterval = t.probeInterval, t.probeTimeout, t.gossipInterval
	cfg.PushPullInterval, cfg.TCPTimeout = t.pushPull, t.tcpTimeout
	cfg.Logger = quiet
	cfg.Transport = &lossyNetTransport{t: nt, d: newDropper(uint64(i), loss), c: c}
	cfg.Events = &events{observer: cfg.Name, rec: rec}
	m, err := memberlist.Create(cfg)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.nodes = append(p.nodes, m)
	p.cnt = append(p.cnt, c)
	p.mu.Unlock()
	return nil
}

func (p *peer) addr(i int) string { return p.nodes[i].LocalNode().Address() }

func (p *peer) join(_ context.Context, i int, seed string) error {
	_, err := p.nodes[i].Join([]string{seed})
	return err
}

func (p *peer) members(i int) int { return p.nodes[i].NumMembers() }
func (p *peer) kill(i int)        { p.nodes[i].Shutdown() }
func (p *peer) sent(i int) (uint64, uint64) {
	return p.cnt[i].bytes.Load(), p.cnt[i].packets.Load()
}

func (p *peer) close() {
	for _, m := range p.nodes {
		m.Shutdown()
	}
}
