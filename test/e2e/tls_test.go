package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rampart/internal/demo"
)

type certPair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func newCert(t *testing.T, cn string, parent *certPair, isCA, server bool) *certPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	} else if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &certPair{cert: c, key: key, der: der}
}

func (c *certPair) write(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(c.key)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return
}

func (c *certPair) tlsCert() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.der}, PrivateKey: c.key}
}

func TestTLSAndClientCertificates(t *testing.T) {
	url := fakeUpstream(t, &demo.Server{Name: "fake"})
	dir := t.TempDir()
	ca := newCert(t, "test CA", nil, true, false)
	srv := newCert(t, "127.0.0.1", ca, false, true)
	client := newCert(t, "billing-service", ca, false, false)
	stranger := newCert(t, "stranger", ca, false, false)
	caFile, _ := ca.write(t, dir, "ca")
	srvCert, srvKey := srv.write(t, dir, "server")

	data := t.TempDir()
	k := createKey(t, data, "--name", "billing", "--models", "demo")
	cfg := filepath.Join(dir, "rampart.yaml")
	writeFile(t, cfg, fmt.Sprintf(`
upstreams: [{name: fake, url: %q}]
tls:
  cert_file: %q
  key_file: %q
  client_ca_file: %q
  client_auth: optional
  client_keys: {"cn:billing-service": %q}
`, url, srvCert, srvKey, caFile, k.ID))
	g := startGateway(t, data, "--config", cfg)
	if !strings.HasPrefix(g.URL, "https://") {
		t.Fatalf("ready line says %q", g.URL)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	do := func(certs []tls.Certificate, key string, maxVersion uint16) (*http.Response, error) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs, MaxVersion: maxVersion}, ForceAttemptHTTP2: true}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"demo","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	// A mapped client certificate authenticates without an API key, over HTTP/2.
	resp, err := do([]tls.Certificate{client.tlsCert()}, "", 0)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("mTLS identity: %v %v", err, resp)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
	// A valid but unmapped certificate and no key: 401.
	if resp, err := do([]tls.Certificate{stranger.tlsCert()}, "", 0); err != nil || resp.StatusCode != 401 {
		t.Fatalf("unmapped certificate: %v %v", err, resp)
	}
	// API keys still work with client_auth: optional.
	if resp, err := do(nil, k.Key, 0); err != nil || resp.StatusCode != 200 {
		t.Fatalf("API key over TLS: %v %v", err, resp)
	}
	// TLS 1.1 is refused.
	if _, err := do(nil, k.Key, tls.VersionTLS11); err == nil {
		t.Fatal("TLS 1.1 handshake succeeded")
	}
	// Revoking the key behind a certificate stops the certificate too.
	rampart(t, "keys", "revoke", k.ID, "--data", data)
	deadline := time.Now().Add(1500 * time.Millisecond)
	for {
		resp, err := do([]tls.Certificate{client.tlsCert()}, "", 0)
		if err == nil && resp.StatusCode == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("certificate of a revoked key still accepted: %v %v", err, resp)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
