package swim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	tcpframe "github.com/dwsdk/distributed/runtime/internal/frame"
)

// NetTransport is the real Transport: UDP for packets and TCP for streams,
// both on the same port. Stream frames are a 4-byte big-endian length and
// the sealed message; a reply starts with a status byte (0 ok, 1 error
// text).
type NetTransport struct {
	udp  *net.UDPConn
	tcp  *net.TCPListener
	addr string // advertised, see advertiseAddr
	log  *slog.Logger
	h    Handler

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool // guards starting Requests
	conns  tcpframe.ConnSet

	inbound chan struct{} // a slot per stream being served, see maxInboundStreams
}

// maxInboundStreams bounds the streams a NetTransport serves at once;
// more are turned away with an error at once. Each may hold up to
// MaxStreamSize bytes being read before it can be authenticated, and each
// push-pull waits for the Node's lock: without a bound, peers (or anyone
// who can reach the port) stacking slow or many streams cost unbounded
// memory and goroutines, and delay probe answers (memberlist caps
// concurrent push-pulls at 128 the same way).
const maxInboundStreams = 128

// MaxStreamSize bounds a stream message (a push-pull of ~100,000 members).
const MaxStreamSize = 32 << 20

// ErrTransportClosed is returned after Close.
var ErrTransportClosed = errors.New("swim: transport closed")

var errBusy = fmt.Errorf("swim: transport busy: serving %d streams already, try later", maxInboundStreams)

// NewNetTransport listens on bind ("host:port"; port 0 picks one free for
// both UDP and TCP).
func NewNetTransport(bind string, log *slog.Logger) (*NetTransport, error) {
	if log == nil {
		log = slog.Default()
	}
	var lastErr error
	for attempt := 0; attempt < 10; attempt++ {
		tcpAddr, err := net.ResolveTCPAddr("tcp", bind)
		if err != nil {
			return nil, fmt.Errorf("swim: transport: resolve %q: %w", bind, err)
		}
		tl, err := net.ListenTCP("tcp", tcpAddr)
		if err != nil {
			return nil, fmt.Errorf("swim: transport: listen tcp %s: %w", bind, err)
		}
		bound := tl.Addr().(*net.TCPAddr)
		ul, err := net.ListenUDP("udp", &net.UDPAddr{IP: bound.IP, Port: bound.Port})
		if err != nil {
			tl.Close()
			lastErr = err
			if tcpAddr.Port != 0 {
				break
			}
			continue // the UDP port was taken: try another
		}
		addr, err := advertiseAddr(tcpAddr.IP, bound)
		if err != nil {
			tl.Close()
			ul.Close()
			return nil, fmt.Errorf("swim: transport: %s: %w", bind, err)
		}
		_ = ul.SetReadBuffer(2 << 20)
		ctx, cancel := context.WithCancel(context.Background())
		return &NetTransport{udp: ul, tcp: tl, addr: addr, log: log, ctx: ctx, cancel: cancel,
			inbound: make(chan struct{}, maxInboundStreams)}, nil
	}
	return nil, fmt.Errorf("swim: transport: listen udp %s: %w", bind, lastErr)
}

// LocalAddr implements Transport: the bound address, or, when bound to an
// unspecified IP (0.0.0.0, ::), an address of one of the host's
// interfaces, since the unspecified one means "this host" to every member
// that dials it. Bind a specific IP to choose it yourself.
func (t *NetTransport) LocalAddr() string { return t.addr }

// advertiseAddr is the address members reach a listener at that was asked
// to bind IP asked (nil: any) and is bound to bound.
func advertiseAddr(asked net.IP, bound *net.TCPAddr) (string, error) {
	ip, ok := netip.AddrFromSlice(asked)
	if ok && !ip.Unmap().IsUnspecified() {
		return bound.String(), nil
	}
	addrs, err := upInterfaceAddrs()
	if err != nil {
		return "", fmt.Errorf("list interface addresses: %w", err)
	}
	// Go listens dual-stack on "0.0.0.0" as on "::" where it can, but
	// someone who asked for 0.0.0.0 wants to be reached over IPv4, and
	// someone who asked for :: over IPv6: where the system cannot map IPv4
	// into an IPv6 socket (OpenBSD, DragonFly), :: listens to IPv6 alone.
	// An empty host (":7946") keeps memberlist's IPv4 preference.
	fam := preferIPv4
	switch {
	case ok && (ip.Is4() || ip.Is4In6()):
		fam = onlyIPv4
	case ok:
		fam = preferIPv6
	}
	best, ok := pickAdvertiseIP(addrs, fam)
	if !ok {
		return "", errors.New("bound to an unspecified address and no interface has a usable one: bind a specific IP")
	}
	return netip.AddrPortFrom(best, uint16(bound.Port)).String(), nil
}

func upInterfaceAddrs() ([]netip.Addr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		as, err := ifc.Addrs()
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
					out = append(out, ip.Unmap())
				}
			}
		}
	}
	return out, nil
}

// ipFamily is the address family an unspecified bind asks to advertise.
type ipFamily uint8

const (
	preferIPv4 ipFamily = iota // no host given: IPv4 first, as memberlist
	onlyIPv4                   // 0.0.0.0
	preferIPv6                 // ::
)

// pickAdvertiseIP prefers, as memberlist does, a private IPv4 address,
// then any routable IPv4, then private and routable IPv6, and loopback
// last (a host with no other interface is a cluster of one host); with
// preferIPv6 the families swap places, with onlyIPv4 there is no IPv6.
// Link-local addresses need a zone and are never picked.
func pickAdvertiseIP(addrs []netip.Addr, fam ipFamily) (netip.Addr, bool) {
	rank := func(ip netip.Addr) int {
		if fam == onlyIPv4 && !ip.Is4() {
			return -1
		}
		other := 0 // 1 for the family not preferred
		if ip.Is4() == (fam == preferIPv6) {
			other = 1
		}
		switch {
		case ip.IsPrivate():
			return 0 + 2*other
		case ip.IsGlobalUnicast():
			return 1 + 2*other
		case ip.IsLoopback():
			return 4 + other
		}
		return -1
	}
	var best netip.Addr
	bestRank := -1
	for _, ip := range addrs {
		if r := rank(ip); r >= 0 && (bestRank < 0 || r < bestRank) {
			best, bestRank = ip, r
		}
	}
	return best, bestRank >= 0
}

// Start implements Transport.
func (t *NetTransport) Start(h Handler) error {
	t.h = h
	t.wg.Add(2)
	go t.readPackets()
	go t.acceptStreams()
	return nil
}

func (t *NetTransport) readPackets() {
	defer t.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := t.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if t.ctx.Err() != nil {
				return
			}
			t.log.Warn("swim: read udp", "err", err)
			continue
		}
		if n == 0 {
			continue
		}
		p := make([]byte, n)
		copy(p, buf[:n])
		// A dual-stack socket (bound to an unspecified IP) reports IPv4
		// senders as ::ffff:a.b.c.d: name them as they name themselves.
		t.h.HandlePacket(netip.AddrPortFrom(from.Addr().Unmap(), from.Port()).String(), p)
	}
}

// SendPacket implements Transport.
func (t *NetTransport) SendPacket(addr string, b []byte) error {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		if _, err := t.udp.WriteToUDPAddrPort(b, ap); err != nil {
			return fmt.Errorf("swim: send to %s: %w", addr, err)
		}
		return nil
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return fmt.Errorf("swim: send to %q: %w", addr, err)
	}
	if _, err := t.udp.WriteToUDP(b, ua); err != nil {
		return fmt.Errorf("swim: send to %s: %w", addr, err)
	}
	return nil
}

func (t *NetTransport) acceptStreams() {
	defer t.wg.Done()
	tcpframe.Accept(t.ctx, t.tcp, &t.conns, &t.wg, t.log, "swim", t.serveStream)
}

// serveStream answers one stream request on c.
func (t *NetTransport) serveStream(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	select {
	case t.inbound <- struct{}{}:
		defer func() { <-t.inbound }()
	default:
		t.log.Debug("swim: stream turned away", "from", c.RemoteAddr(), "serving", maxInboundStreams)
		_ = writeFrame(c, []byte{1}, []byte(errBusy.Error()))
		return
	}
	req, err := readFrame(c)
	if err != nil {
		t.log.Debug("swim: read stream", "from", c.RemoteAddr(), "err", err)
		if errors.Is(err, ErrMalformed) { // over MaxStreamSize: say so, not just close
			_ = writeFrame(c, []byte{1}, []byte(err.Error()))
		}
		return
	}
	reply, err := t.h.HandleRequest(c.RemoteAddr().String(), req)
	if err != nil {
		_ = writeFrame(c, []byte{1}, []byte(err.Error()))
		return
	}
	_ = writeFrame(c, []byte{0}, reply)
}

// Request implements Transport.
func (t *NetTransport) Request(addr string, req []byte, timeout time.Duration, done func([]byte, error)) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		go done(nil, ErrTransportClosed)
		return
	}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		done(t.exchange(addr, req, timeout))
	}()
}

func (t *NetTransport) exchange(addr string, req []byte, timeout time.Duration) ([]byte, error) {
	if len(req) > MaxStreamSize {
		// A push-pull of some 60,000 members with large metadata: the
		// receiver would read it all and refuse it.
		return nil, fmt.Errorf("swim: stream to %s: %d bytes, at most %d: %w", addr, len(req), MaxStreamSize, ErrTooLarge)
	}
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("swim: stream to %s: %w: %w", addr, ErrRefused, err)
	}
	if err != nil {
		return nil, fmt.Errorf("swim: stream to %s: %w", addr, err)
	}
	if !t.conns.Track(c) {
		c.Close()
		return nil, ErrTransportClosed
	}
	defer t.conns.Untrack(c)
	dl, _ := ctx.Deadline()
	_ = c.SetDeadline(dl)
	if err := writeFrame(c, nil, req); err != nil {
		return nil, fmt.Errorf("swim: stream to %s: %w", addr, err)
	}
	var status [1]byte
	if _, err := io.ReadFull(c, status[:]); err != nil {
		return nil, fmt.Errorf("swim: stream to %s: read reply: %w", addr, err)
	}
	reply, err := readFrame(c)
	if err != nil {
		return nil, fmt.Errorf("swim: stream to %s: read reply: %w", addr, err)
	}
	if status[0] != 0 {
		return nil, fmt.Errorf("swim: stream to %s: remote error: %s", addr, reply)
	}
	return reply, nil
}

// writeFrame writes prefix, then b with its length.
func writeFrame(w io.Writer, prefix []byte, b []byte) error {
	hdr := make([]byte, 0, len(prefix)+4+len(b))
	hdr = append(hdr, prefix...)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(b)))
	_, err := w.Write(append(hdr, b...))
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxStreamSize {
		return nil, fmt.Errorf("%w: stream frame of %d bytes, at most %d", ErrMalformed, n, MaxStreamSize)
	}
	// Grow with what arrives, not with what the prefix claims: a peer that
	// announces 32 MiB and sends nothing must not cost 32 MiB.
	b, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, err
	}
	if len(b) < int(n) {
		return nil, fmt.Errorf("stream frame of %d bytes ends after %d: %w", n, len(b), io.ErrUnexpectedEOF)
	}
	return b, nil
}

// Close implements Transport.
func (t *NetTransport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	t.conns.CloseAll()
	t.cancel()
	err := errors.Join(t.udp.Close(), t.tcp.Close())
	t.wg.Wait()
	return err
}
