package main

import (
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/dwsdk/distributed/runtime/swim"
)

// errSevered is what traffic gets while the node is cut off.
var errSevered = errors.New("dwnode: traffic severed by fault injection")

// faults is the node's fault injection, enabled by -fault-injection for
// end-to-end tests: while severed, every SWIM packet and stream and every
// Raft message to or from this node is dropped, as in a network partition.
type faults struct {
	severed atomic.Bool
}

// swimFaults wraps SWIM's transport.
type swimFaults struct {
	swim.Transport
	f *faults
}

func (t *swimFaults) Start(h swim.Handler) error {
	return t.Transport.Start(&swimFaultHandler{Handler: h, f: t.f})
}

func (t *swimFaults) SendPacket(addr string, b []byte) error {
	if t.f.severed.Load() {
		return nil
	}
	return t.Transport.SendPacket(addr, b)
}

func (t *swimFaults) Request(addr string, req []byte, timeout time.Duration, done func([]byte, error)) {
	if t.f.severed.Load() {
		go done(nil, errSevered)
		return
	}
	t.Transport.Request(addr, req, timeout, done)
}

type swimFaultHandler struct {
	swim.Handler
	f *faults
}

func (h *swimFaultHandler) HandlePacket(from string, b []byte) {
	if !h.f.severed.Load() {
		h.Handler.HandlePacket(from, b)
	}
}

func (h *swimFaultHandler) HandleRequest(from string, req []byte) ([]byte, error) {
	if h.f.severed.Load() {
		return nil, errSevered
	}
	return h.Handler.HandleRequest(from, req)
}

// handleSever switches the partition on or off.
func (n *Node) handleSever(w http.ResponseWriter, r *http.Request) {
	var s nodeapi.Sever
	if err := readJSON(r, &s); err != nil {
		n.writeErr(w, err)
		return
	}
	n.faults.severed.Store(s.On)
	n.log.Warn("dwnode: fault injection", "severed", s.On)
	writeJSON(w, http.StatusOK, &s)
}
