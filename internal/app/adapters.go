package app

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"rampart/internal/auth"
	"rampart/internal/gateway"
	"rampart/internal/openai"
	"rampart/internal/proxy"
	"rampart/internal/ratelimit"
)

// keys adapts the auth cache to the gateway's Authenticator, including
// client-certificate identities.
type keys struct {
	cache      *auth.Cache
	clientKeys map[string]string // cn:/san:/sha256: → key id
}

func principal(p *auth.Principal) *gateway.Principal {
	return &gateway.Principal{
		KeyID: p.KeyID, Name: p.Name, Tenant: p.Tenant, Policy: p.Policy, Models: p.Models,
		Limits: ratelimit.Limits{RPM: p.RPM, TPM: p.TPM},
	}
}

func (k *keys) Authenticate(secret string) (*gateway.Principal, error) {
	p, err := k.cache.Authenticate(secret, time.Now())
	if err != nil {
		return nil, err
	}
	return principal(p), nil
}

var errCertUnmapped = errors.New("unknown client certificate")

func (k *keys) ByCertificate(r *http.Request) (*gateway.Principal, bool, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(k.clientKeys) == 0 {
		return nil, false, nil
	}
	cert := r.TLS.VerifiedChains[0][0]
	id := k.certKey(cert)
	if id == "" {
		return nil, false, errCertUnmapped
	}
	p, ok := k.cache.ByID(id)
	if !ok {
		return nil, false, errors.New("unknown key for client certificate")
	}
	if !p.Key.Active(time.Now()) {
		return nil, false, errors.New("revoked, expired, disabled or quarantined key for client certificate")
	}
	return principal(p), true, nil
}

func (k *keys) certKey(c *x509.Certificate) string {
	fp := sha256.Sum256(c.Raw)
	if id, ok := k.clientKeys["sha256:"+hex.EncodeToString(fp[:])]; ok {
		return id
	}
	if id, ok := k.clientKeys["cn:"+c.Subject.CommonName]; ok && c.Subject.CommonName != "" {
		return id
	}
	for _, n := range c.DNSNames {
		if id, ok := k.clientKeys["san:"+n]; ok {
			return id
		}
	}
	for _, u := range c.URIs {
		if id, ok := k.clientKeys["san:"+u.String()]; ok {
			return id
		}
	}
	return ""
}

// upstreams adapts the proxy pool to the gateway.
type upstreams struct{ pool *proxy.Pool }

func (u upstreams) Models() []string      { return u.pool.Models() }
func (u upstreams) Has(model string) bool { return u.pool.Has(model) }
func (u upstreams) Ready() bool           { return u.pool.Ready() }

func (u upstreams) Forward(ctx context.Context, r *gateway.UpstreamRequest) (*gateway.UpstreamResponse, error) {
	resp, err := u.pool.Forward(ctx, &proxy.Request{Model: r.Model, Path: r.Path, Body: r.Body, Header: r.Header, Stream: r.Stream})
	if err != nil {
		if errors.Is(err, proxy.ErrUnknownModel) {
			return nil, openai.Errorf(http.StatusNotFound, openai.CodeModelNotFound, "the model %q does not exist", r.Model)
		}
		var pe *proxy.Error
		if errors.As(err, &pe) {
			return nil, pe.OpenAI()
		}
		return nil, openai.Errorf(http.StatusBadGateway, openai.CodeUpstreamError, "the upstream failed")
	}
	return &gateway.UpstreamResponse{Response: resp.Response, Upstream: resp.Upstream}, nil
}
