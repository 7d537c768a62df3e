package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/dwsdk/distributed/gen/nodeapi"
	"github.com/stretchr/testify/require"
)

// A KV write read on a node that then loses leadership is forwarded to the
// new leader: the body readJSON consumed must reach it whole, not empty
// (which the leader would refuse, leaving the client a 502 for a write
// nobody saw).
func TestReadJSONLeavesTheBodyToForward(t *testing.T) {
	const body = `{"value":"hello"}`
	var got string
	var gotLen int64
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
		got, gotLen = string(b), r.ContentLength
	}))
	defer leader.Close()

	r := httptest.NewRequest(http.MethodPut, "/v1/kv/greeting", strings.NewReader(body))
	r.ContentLength = -1 // as for a chunked request
	var v nodeapi.KVWrite
	require.NoError(t, readJSON(r, &v))
	require.Equal(t, "hello", v.Value)

	target, err := url.Parse(leader.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = leader.Client().Transport
	w := httptest.NewRecorder()
	proxy.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, body, got)
	require.Equal(t, int64(len(body)), gotLen)
}
