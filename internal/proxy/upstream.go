package proxy

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"
)

// upstream is one configured model server with its own transport and
// passive health state. Everything but health is immutable after New.
type upstream struct {
	name        string
	typ         string
	base        string // URL without a trailing slash
	apiVersion  string
	deployments map[string]string
	keyHeader   string // canonical header name, "" when no key is configured
	keyValue    string // the header value; never logged
	headers     http.Header
	cfg         *UpstreamConfig
	weight      int

	timeout       time.Duration
	headerTimeout time.Duration
	idleTimeout   time.Duration

	transport *http.Transport
	health    health
}

func newUpstream(c *UpstreamConfig) (*upstream, error) {
	u := &upstream{
		name:          c.Name,
		typ:           c.typ(),
		base:          strings.TrimRight(c.URL, "/"),
		apiVersion:    c.APIVersion,
		deployments:   c.Deployments,
		cfg:           c,
		weight:        c.Weight,
		timeout:       orDefault(c.Timeout.D(), DefaultTimeout),
		headerTimeout: orDefault(c.ResponseHeaderTimeout.D(), DefaultResponseHeaderTimeout),
		idleTimeout:   orDefault(c.StreamIdleTimeout.D(), DefaultStreamIdleTimeout),
		headers:       make(http.Header, len(c.Headers)),
	}
	if u.weight == 0 {
		u.weight = 1
	}
	for k, v := range c.Headers {
		u.headers.Set(k, expandEnv(v))
	}
	if key := expandEnv(c.APIKey); key != "" {
		h := c.APIKeyHeader
		if h == "" {
			h = "Authorization"
			if u.typ == TypeAzure {
				h = "Api-Key"
			}
		}
		u.keyHeader = textproto.CanonicalMIMEHeaderKey(h)
		u.keyValue = key
		if u.keyHeader == "Authorization" && !strings.Contains(key, " ") {
			u.keyValue = "Bearer " + key
		}
	}
	tr, err := newTransport(c)
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", c.Name, err)
	}
	u.transport = tr
	return u, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// newTransport builds the upstream's own transport: keep-alives, HTTP/2
// where the server offers it over TLS, and the configured timeouts.
func newTransport(c *UpstreamConfig) (*http.Transport, error) {
	connect := orDefault(c.ConnectTimeout.D(), DefaultConnectTimeout)
	idle := c.MaxIdleConns
	if idle == 0 {
		idle = DefaultMaxIdleConns
	}
	tlsConf, err := c.TLS.build()
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   connect,
		ResponseHeaderTimeout: orDefault(c.ResponseHeaderTimeout.D(), DefaultResponseHeaderTimeout),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          idle,
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}, nil
}

// build returns the client TLS configuration (TLS 1.2 or newer).
func (t *TLSConfig) build() (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pool, err := loadCAs(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		conf.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %s", sanitizeErr(err))
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	conf.InsecureSkipVerify = t.InsecureSkipVerify //nolint:gosec // operator's explicit choice
	return conf, nil
}

// serves reports whether the upstream's model list admits model.
func (u *upstream) serves(model string) bool { return u.cfg.serves(model) }

// target is the URL for one request. model is the name sent upstream; for
// Azure it selects the deployment.
func (u *upstream) target(path, model string) string {
	if u.typ != TypeAzure {
		return u.base + path
	}
	dep := u.deployments[model]
	if dep == "" {
		dep = model
	}
	return u.base + "/openai/deployments/" + url.PathEscape(dep) + path + "?api-version=" + url.QueryEscape(u.apiVersion)
}

// health is passive health: consecutive failures put an upstream into
// cooldown; once the cooldown ends it is tried again (half-open) and one
// more failure sends it straight back, one success clears it.
type health struct {
	mu       sync.Mutex
	fails    int
	until    time.Time // cooldown end; zero when healthy
	lastFail time.Time
}

func (h *health) available(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.until.IsZero() || !now.Before(h.until)
}

// failure records a failure and reports whether it started a cooldown.
func (h *health) failure(now time.Time, threshold int, cooldown time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fails++
	h.lastFail = now
	if h.fails >= threshold {
		h.until = now.Add(cooldown)
		return true
	}
	return false
}

func (h *health) success() {
	h.mu.Lock()
	h.fails = 0
	h.until = time.Time{}
	h.mu.Unlock()
}

func (h *health) lastFailure() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastFail
}
