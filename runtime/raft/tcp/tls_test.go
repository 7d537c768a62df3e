package tcp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/runtime/raft/tcp"
)

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a certificate for a node at 127.0.0.1, usable as server and
// client.
func (ca *testCA) issue(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mutualTLS is a node's configuration: its certificate, trusting ca for
// both servers and clients, client certificates required.
func mutualTLS(ca *testCA, cert *tls.Certificate) *tls.Config {
	c := &tls.Config{
		RootCAs:    ca.pool,
		ClientCAs:  ca.pool,
		ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS13,
	}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	return c
}

func withTLS(c *tls.Config) func(*tcp.Config) {
	return func(cfg *tcp.Config) { cfg.TLS = c }
}

func TestMutualTLS(t *testing.T) {
	ca := newCA(t, "cluster CA")
	certA, certB := ca.issue(t, "a"), ca.issue(t, "b")
	a := newTransport(t, "a", withTLS(mutualTLS(ca, &certA)))
	b := newTransport(t, "b", withTLS(mutualTLS(ca, &certB)))

	require.NoError(t, a.Send(b.LocalAddr(), appendMsg("a", "b", 7)))
	require.Equal(t, uint64(7), recv(t, b).AppendEntries.ReadContext)
	require.NoError(t, b.Send(a.LocalAddr(), appendMsg("b", "a", 8)))
	require.Equal(t, uint64(8), recv(t, a).AppendEntries.ReadContext)

	cases := map[string]*tls.Config{
		// trusts the CA but presents no client certificate
		"no client certificate": mutualTLS(ca, nil),
	}
	rogue := newCA(t, "rogue CA")
	certM := rogue.issue(t, "m")
	m := mutualTLS(ca, nil) // trusts the cluster, but its own certificate is from another CA
	m.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certM, nil }
	cases["certificate from another CA"] = m

	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			before := b.Stats().BadFrames
			c := newTransport(t, "c", withTLS(cfg))
			require.NoError(t, c.Send(b.LocalAddr(), appendMsg("c", "b", 9)))
			require.Eventually(t, func() bool { return b.Stats().BadFrames > before }, waitFor, time.Millisecond,
				"b rejects the handshake")
			require.Eventually(t, func() bool { return c.Stats().DialFailures >= 1 }, waitFor, time.Millisecond,
				"c sees its connection fail")
			select {
			case msg := <-b.Inbound():
				t.Fatalf("b accepted %+v from an unauthenticated client", msg)
			default:
			}
		})
	}
}
