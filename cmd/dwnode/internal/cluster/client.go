package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/dwsdk/distributed/gen/nodeapi"
)

// Client calls the HTTP API of dwnode nodes, addressed by their HTTP
// host:port.
type Client struct {
	HTTP  *http.Client
	Token string
}

// NewClient returns a client with a short timeout.
func NewClient(token string) *Client {
	return &Client{Token: token, HTTP: &http.Client{
		Timeout:   3 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32},
	}}
}

// StatusError is an answer with a status code other than 2xx.
type StatusError struct {
	Code int
	Body nodeapi.Error
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("status %d: %s", e.Code, e.Body.Error)
}

// do sends a request and decodes a 2xx answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, addr, path string, body interface{ MarshalJSON() ([]byte, error) },
	out interface{ UnmarshalJSON([]byte) error }) error {
	_, err := c.doHeader(ctx, method, addr, path, body, out)
	return err
}

// doHeader is do, returning the answer's header.
func (c *Client) doHeader(ctx context.Context, method, addr, path string, body interface{ MarshalJSON() ([]byte, error) },
	out interface{ UnmarshalJSON([]byte) error }) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := body.MarshalJSON()
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, rd)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		se := &StatusError{Code: resp.StatusCode}
		if err := se.Body.UnmarshalJSON(b); err != nil {
			se.Body.Error = string(b)
		}
		return resp.Header, se
	}
	if out == nil {
		return resp.Header, nil
	}
	if err := out.UnmarshalJSON(b); err != nil {
		return resp.Header, fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return resp.Header, nil
}

// Health calls GET /healthz.
func (c *Client) Health(ctx context.Context, addr string) (h nodeapi.Health, err error) {
	err = c.do(ctx, http.MethodGet, addr, "/healthz", nil, &h)
	return h, err
}

// Members calls GET /v1/members.
func (c *Client) Members(ctx context.Context, addr string) (m nodeapi.Members, err error) {
	err = c.do(ctx, http.MethodGet, addr, "/v1/members", nil, &m)
	return m, err
}

// Raft calls GET /v1/raft.
func (c *Client) Raft(ctx context.Context, addr string) (s nodeapi.RaftStatus, err error) {
	err = c.do(ctx, http.MethodGet, addr, "/v1/raft", nil, &s)
	return s, err
}

// KVGet calls GET /v1/kv/{key}.
func (c *Client) KVGet(ctx context.Context, addr, key string) (p nodeapi.KVPair, err error) {
	err = c.do(ctx, http.MethodGet, addr, "/v1/kv/"+url.PathEscape(key), nil, &p)
	return p, err
}

// KVPut calls PUT /v1/kv/{key}.
func (c *Client) KVPut(ctx context.Context, addr, key, value string) (p nodeapi.KVPair, err error) {
	err = c.do(ctx, http.MethodPut, addr, "/v1/kv/"+url.PathEscape(key), &nodeapi.KVWrite{Value: value}, &p)
	return p, err
}

// rawJSON keeps a JSON answer as bytes.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

// Update calls POST /v1/records/{type}/{key} and returns the record as
// JSON and whether another node acknowledged the change before the answer.
func (c *Client) Update(ctx context.Context, addr, typ, key string, ops ...nodeapi.RecordOp) ([]byte, bool, error) {
	var out rawJSON
	h, err := c.doHeader(ctx, http.MethodPost, addr, "/v1/records/"+url.PathEscape(typ)+"/"+url.PathEscape(key),
		&nodeapi.RecordUpdate{Ops: ops}, &out)
	return out, h != nil && h.Get("X-Dwnode-Replicated") == "true", err
}

// Record calls GET /v1/records/{type}/{key} and returns the record as JSON.
func (c *Client) Record(ctx context.Context, addr, typ, key string) ([]byte, error) {
	var out rawJSON
	err := c.do(ctx, http.MethodGet, addr, "/v1/records/"+url.PathEscape(typ)+"/"+url.PathEscape(key), nil, &out)
	return out, err
}

// Sever cuts (on) or restores a node's traffic; the node must run with
// -fault-injection.
func (c *Client) Sever(ctx context.Context, addr string, on bool) error {
	return c.do(ctx, http.MethodPost, addr, "/v1/admin/sever", &nodeapi.Sever{On: on}, nil)
}

// Leave asks a node to leave the cluster and exit.
func (c *Client) Leave(ctx context.Context, addr string) error {
	return c.do(ctx, http.MethodPost, addr, "/v1/admin/leave", nil, nil)
}
