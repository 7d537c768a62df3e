package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

// forwardedHeader marks a request a follower forwarded to the leader, so it
// is never forwarded twice.
const forwardedHeader = "X-Dwnode-Forwarded"

// Sentinel errors the handlers map to status codes.
var (
	errBadRequest = errors.New("bad request")
	errTooLarge   = errors.New("request body too large")
	errNotFound   = errors.New("not found")
	errNoLeader   = errors.New("no Raft leader known")
)

// jsonMarshaler is implemented by every generated type.
type jsonMarshaler interface{ MarshalJSON() ([]byte, error) }

// routes returns the node's HTTP API.
func (n *Node) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, n.instrument(h, true)) }
	observe := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, n.instrument(h, false)) }
	observe("GET /healthz", n.handleHealth)
	mux.Handle("GET /metrics", n.metrics.handler())
	observe("GET /v1/members", n.handleMembers)
	observe("GET /v1/raft", n.handleRaft)
	handle("GET /v1/kv/{key}", n.handleKVGet)
	handle("PUT /v1/kv/{key}", n.auth(n.handleKVPut))
	handle("DELETE /v1/kv/{key}", n.auth(n.handleKVDelete))
	handle("GET /v1/records", n.handleRecordTypes)
	handle("GET /v1/records/{type}", n.handleRecordKeys)
	handle("GET /v1/records/{type}/{key}", n.handleRecordGet)
	handle("POST /v1/records/{type}/{key}", n.auth(n.handleRecordUpdate))
	handle("POST /v1/admin/leave", n.auth(n.handleLeave))
	if n.cfg.FaultInjection {
		handle("POST /v1/admin/sever", n.auth(n.handleSever))
	}
	for _, p := range []string{"/healthz", "/metrics", "/v1/members", "/v1/raft", "/v1/kv/{key}",
		"/v1/records", "/v1/records/{type}", "/v1/records/{type}/{key}", "/v1/admin/leave"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s", r.URL.Path))
	})
	return mux
}

// writeJSON writes v with the generated JSON codec.
func writeJSON(w http.ResponseWriter, status int, v jsonMarshaler) {
	b, err := v.MarshalJSON()
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = (&nodeapi.Error{Error: "encode response: " + err.Error()}).MarshalJSON()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError writes a JSON error body.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, &nodeapi.Error{Error: msg})
}

// writeErr maps an error to its status code.
func (n *Node) writeErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
	case errors.Is(err, errBadRequest):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, errNoLeader):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		writeError(w, http.StatusServiceUnavailable, "timed out: "+err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// readJSON decodes a bounded request body with the generated codec. The
// body must be a JSON object without unknown fields: a misspelt field
// would otherwise be dropped and its value written as empty.
//
// The bytes read are put back as the request's body, so a handler that
// finds only afterwards that it must forward the request (leadership moved
// between the check and the proposal) forwards it whole.
func readJSON(r *http.Request, v interface{ UnmarshalJSONStrict([]byte) error }) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return fmt.Errorf("%w: more than %d bytes", errTooLarge, tooLarge.Limit)
	}
	if err != nil {
		return fmt.Errorf("%w: read body: %v", errBadRequest, err)
	}
	if len(b) == 0 {
		return fmt.Errorf("%w: empty body, want JSON", errBadRequest)
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		return fmt.Errorf("%w: body: want a JSON object, got %q", errBadRequest, t[:min(len(t), 20)])
	}
	if err := v.UnmarshalJSONStrict(b); err != nil {
		return fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	return nil
}

// auth requires the configured bearer token.
func (n *Node) auth(h http.HandlerFunc) http.HandlerFunc {
	if n.cfg.Token == "" {
		return h
	}
	want := []byte("Bearer " + n.cfg.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dwnode"`)
			writeError(w, http.StatusUnauthorized, "write requests need the header Authorization: Bearer <token>")
			return
		}
		h(w, r)
	}
}

// statusWriter remembers the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// instrument records a request's latency per route and, for data requests
// (not health and status polls), counts it as the load the auto-scaler
// sees.
func (n *Node) instrument(h http.HandlerFunc, load bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if load && r.Header.Get(forwardedHeader) == "" { // a forwarded request was counted where it arrived
			n.load.add()
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(sw, r)
		n.metrics.observe(r.Pattern, sw.status, time.Since(start))
	})
}

// forward sends a request this follower cannot serve to the Raft leader's
// HTTP API and relays the answer. It reports false (after answering 503)
// when no leader is known or the request was already forwarded once.
func (n *Node) forward(w http.ResponseWriter, r *http.Request) {
	leaderHTTP := n.leaderHTTP()
	if leaderHTTP == "" || r.Header.Get(forwardedHeader) != "" {
		writeJSON(w, http.StatusServiceUnavailable, &nodeapi.Error{Error: errNoLeader.Error(), Leader: leaderHTTP})
		return
	}
	target := &url.URL{Scheme: "http", Host: leaderHTTP}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set(forwardedHeader, n.cfg.Name)
		},
		Transport: n.client.Transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// A request that never reached the leader was certainly not
			// executed (503, retry); otherwise its outcome is unknown (502).
			status := http.StatusBadGateway
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				status = http.StatusServiceUnavailable
			}
			writeJSON(w, status, &nodeapi.Error{Error: "forward to leader: " + err.Error(), Leader: leaderHTTP})
		},
	}
	p.ServeHTTP(w, r)
}

// pathKey returns a path value, refusing empty or oversized ones.
func pathKey(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if v == "" || len(v) > 256 || strings.ContainsAny(v, "\x00") {
		return "", fmt.Errorf("%w: %s %q must be 1 to 256 bytes without NUL", errBadRequest, name, v)
	}
	return v, nil
}
