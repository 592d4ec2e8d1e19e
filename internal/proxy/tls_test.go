package proxy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key signed by ca.
func (ca *testCA) issue(t *testing.T, cn string, usage x509.ExtKeyUsage, dns ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dns,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mtlsServer starts an HTTP/2-capable TLS upstream whose certificate is
// valid only for "upstream.internal" and which requires a client
// certificate from clientCA.
func mtlsServer(t *testing.T, serverCA, clientCA *testCA) *httptest.Server {
	t.Helper()
	certPEM, keyPEM := serverCA.issue(t, "upstream", x509.ExtKeyUsageServerAuth, "upstream.internal")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.cert)
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Proto", r.Proto)
		w.Header().Set("X-Client", r.TLS.PeerCertificates[0].Subject.CommonName)
		io.WriteString(w, `{}`)
	}))
	s.EnableHTTP2 = true
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the failing handshakes are expected
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func TestUpstreamMTLSWithCustomCA(t *testing.T) {
	serverCA, clientCA := newCA(t, "server CA"), newCA(t, "client CA")
	s := mtlsServer(t, serverCA, clientCA)
	dir := t.TempDir()
	certPEM, keyPEM := clientCA.issue(t, "rampart-gateway", x509.ExtKeyUsageClientAuth)
	good := TLSConfig{
		CAFile:     writeFile(t, dir, "ca.pem", serverCA.pem),
		CertFile:   writeFile(t, dir, "client.pem", certPEM),
		KeyFile:    writeFile(t, dir, "client.key", keyPEM),
		ServerName: "upstream.internal",
	}
	p := mustPool(t, Config{Upstreams: []UpstreamConfig{{Name: "tls", URL: s.URL + "/v1", TLS: good}}})
	resp, _, err := forward(t, p, chat("m"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("X-Client") != "rampart-gateway" {
		t.Errorf("client certificate not presented: %q", resp.Header.Get("X-Client"))
	}
	if resp.Header.Get("X-Proto") != "HTTP/2.0" {
		t.Errorf("protocol = %q, want HTTP/2.0", resp.Header.Get("X-Proto"))
	}

	bad := map[string]TLSConfig{
		"system roots only": {ServerName: good.ServerName, CertFile: good.CertFile, KeyFile: good.KeyFile},
		"wrong server name": {CAFile: good.CAFile, CertFile: good.CertFile, KeyFile: good.KeyFile, ServerName: "other.internal"},
		"no client cert":    {CAFile: good.CAFile, ServerName: good.ServerName},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			p := mustPool(t, Config{Upstreams: []UpstreamConfig{{Name: "tls", URL: s.URL + "/v1", TLS: tc}}})
			_, err := p.Forward(context.Background(), chat("m"))
			if pe := asError(t, err); pe.Status != 0 || pe.Err == nil {
				t.Errorf("want a transport error, got %+v", pe)
			}
		})
	}
}

func TestTLSValidation(t *testing.T) {
	dir := t.TempDir()
	junk := writeFile(t, dir, "junk.pem", []byte("not a certificate"))
	_, keyPEM := newCA(t, "x").issue(t, "c", x509.ExtKeyUsageClientAuth)
	key := writeFile(t, dir, "k.pem", keyPEM)
	cfg := Config{Upstreams: []UpstreamConfig{
		{Name: "a", URL: "https://a.example/v1", TLS: TLSConfig{CAFile: junk, CertFile: filepath.Join(dir, "missing.pem"), KeyFile: key}},
		{Name: "b", URL: "http://b.example/v1", TLS: TLSConfig{CertFile: junk}},
	}}
	assertProblems(t, &cfg, []string{
		"upstreams[0].tls.ca_file",
		"upstreams[0].tls.cert_file",
		"upstreams[1].tls",
		"upstreams[1].tls.key_file",
	})
	if _, err := New(cfg, Options{}); err == nil {
		t.Error("New accepted an invalid TLS configuration")
	}
}
