package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"rampart/internal/config"
)

// Upstream types.
const (
	TypeOpenAI = "openai" // any OpenAI-compatible server: OpenAI, vLLM, Ollama, llama.cpp, …
	TypeAzure  = "azure"  // Azure OpenAI deployment/api-version URL shape
)

// CatchAll is the route model that matches every model no other route names.
const CatchAll = "*"

// Defaults applied by New to zero values.
const (
	DefaultTimeout               = 10 * time.Minute
	DefaultConnectTimeout        = 10 * time.Second
	DefaultResponseHeaderTimeout = 5 * time.Minute
	DefaultStreamIdleTimeout     = 2 * time.Minute
	DefaultMaxIdleConns          = 64
	DefaultFailureThreshold      = 3
	DefaultCooldown              = 10 * time.Second
)

// TLSConfig configures TLS towards one upstream.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file"`   // PEM bundle; replaces the system roots
	CertFile           string `yaml:"cert_file"` // client certificate (mTLS), with KeyFile
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"` // SNI and verified name, when not the URL host
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// UpstreamConfig is one model server.
type UpstreamConfig struct {
	Name string `yaml:"name"`
	// URL is an OpenAI-compatible base URL ending in /v1
	// (http://127.0.0.1:8000/v1), or for Type azure the resource URL
	// (https://NAME.openai.azure.com).
	URL        string `yaml:"url"`
	Type       string `yaml:"type"`        // openai (default) | azure
	APIVersion string `yaml:"api_version"` // azure only
	// Deployments maps a model name to an Azure deployment name. A model
	// missing here is used as the deployment name.
	Deployments map[string]string `yaml:"deployments"`
	// APIKey is sent upstream; "${NAME}" is replaced by the environment
	// variable NAME.
	APIKey string `yaml:"api_key"`
	// APIKeyHeader carries the key: Authorization (as "Bearer KEY", the
	// default) or any other header (the bare key; azure's default is api-key).
	APIKeyHeader string            `yaml:"api_key_header"`
	Headers      map[string]string `yaml:"headers"` // extra headers; values expand "${NAME}"
	// Models lists the models this upstream serves. Empty: any model a
	// route sends to it (and, with no routes configured, every model).
	Models                []string        `yaml:"models"`
	Weight                int             `yaml:"weight"`                  // load-balancing weight, default 1
	Timeout               config.Duration `yaml:"timeout"`                 // whole non-streamed exchange
	ConnectTimeout        config.Duration `yaml:"connect_timeout"`         // TCP connect and TLS handshake
	ResponseHeaderTimeout config.Duration `yaml:"response_header_timeout"` // request sent → response head
	StreamIdleTimeout     config.Duration `yaml:"stream_idle_timeout"`     // longest silence inside a stream
	MaxIdleConns          int             `yaml:"max_idle_conns"`          // kept-alive connections
	TLS                   TLSConfig       `yaml:"tls"`
}

// RouteConfig sends a public model name to upstreams.
type RouteConfig struct {
	Model   string   `yaml:"model"`   // public name, or "*" for every other model
	Aliases []string `yaml:"aliases"` // other public names for the same route
	// Upstreams are balanced by weight while healthy; on failure the next
	// ones are tried in this order.
	Upstreams []string `yaml:"upstreams"`
	// UpstreamModel is the model name sent upstream; default Model (for
	// "*": the requested name).
	UpstreamModel string `yaml:"upstream_model"`
}

// HealthConfig is passive health checking.
type HealthConfig struct {
	FailureThreshold int             `yaml:"failure_threshold"` // consecutive failures, default 3
	Cooldown         config.Duration `yaml:"cooldown"`          // how long to skip, default 10s
}

// Config is the upstreams, routes and health part of the configuration.
type Config struct {
	Upstreams []UpstreamConfig `yaml:"upstreams"`
	Routes    []RouteConfig    `yaml:"routes"`
	Health    HealthConfig     `yaml:"health"`
}

// Single is the --upstream shortcut: one OpenAI-compatible upstream that
// serves every model.
func Single(url, key string) Config {
	return Config{Upstreams: []UpstreamConfig{{Name: "default", URL: url, APIKey: key}}}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Validate records every problem in c with its path. It reads the TLS files
// and checks that referenced environment variables are set.
func (c *Config) Validate(ch *config.Checker) {
	names := map[string]int{}
	uch := ch.Field("upstreams")
	if len(c.Upstreams) == 0 {
		uch.Failf("at least one upstream is required")
	}
	for i := range c.Upstreams {
		u := &c.Upstreams[i]
		at := uch.Index(i)
		switch {
		case u.Name == "":
			at.Field("name").Failf("is required")
		case !nameRE.MatchString(u.Name):
			at.Field("name").Failf("%q: use letters, digits, '.', '_' and '-'", u.Name)
		default:
			if j, dup := names[u.Name]; dup {
				at.Field("name").Failf("duplicate upstream name %q (also upstreams[%d])", u.Name, j)
			} else {
				names[u.Name] = i
			}
		}
		u.validate(at)
	}

	public := map[string]string{} // public name → where it is defined
	rch := ch.Field("routes")
	catchAll := false
	for i := range c.Routes {
		r := &c.Routes[i]
		at := rch.Index(i)
		claim := func(ch *config.Checker, name string) {
			if name == "" {
				ch.Failf("is required")
				return
			}
			if name == CatchAll {
				return
			}
			if prev, dup := public[name]; dup {
				ch.Failf("model name %q is already used by %s", name, prev)
				return
			}
			public[name] = ch.Path()
		}
		claim(at.Field("model"), r.Model)
		if r.Model == CatchAll {
			if catchAll {
				at.Field("model").Failf("only one catch-all (\"*\") route is allowed")
			}
			catchAll = true
			if len(r.Aliases) > 0 {
				at.Field("aliases").Failf("a catch-all route cannot have aliases")
			}
		}
		for j, a := range r.Aliases {
			if a == CatchAll {
				at.Field("aliases").Index(j).Failf("\"*\" is not a valid alias")
				continue
			}
			claim(at.Field("aliases").Index(j), a)
		}
		if len(r.Upstreams) == 0 {
			at.Field("upstreams").Failf("at least one upstream is required")
		}
		seen := map[string]bool{}
		for j, name := range r.Upstreams {
			uat := at.Field("upstreams").Index(j)
			k, ok := names[name]
			switch {
			case !ok:
				uat.Failf("unknown upstream %q", name)
			case seen[name]:
				uat.Failf("upstream %q is listed twice", name)
			case r.Model != CatchAll && !c.Upstreams[k].serves(r.Model) && !c.Upstreams[k].serves(r.UpstreamModel):
				uat.Failf("upstream %q does not list model %q in its models", name, r.Model)
			}
			seen[name] = true
		}
	}
	h := ch.Field("health")
	if c.Health.FailureThreshold < 0 {
		h.Field("failure_threshold").Failf("must not be negative")
	}
	if c.Health.Cooldown < 0 {
		h.Field("cooldown").Failf("must not be negative")
	}
}

// serves reports whether u's model list allows model (an empty list allows any).
func (u *UpstreamConfig) serves(model string) bool {
	return len(u.Models) == 0 || (model != "" && slices.Contains(u.Models, model))
}

func (u *UpstreamConfig) typ() string {
	if u.Type == "" {
		return TypeOpenAI
	}
	return u.Type
}

func (u *UpstreamConfig) validate(at *config.Checker) {
	typ := u.typ()
	if typ != TypeOpenAI && typ != TypeAzure {
		at.Field("type").Failf("unknown type %q (want openai or azure)", u.Type)
	}
	uat := at.Field("url")
	var parsed *url.URL
	if u.URL == "" {
		uat.Failf("is required")
	} else if pu, err := url.Parse(u.URL); err != nil {
		uat.Failf("not a URL: %v", err)
	} else if pu.Scheme != "http" && pu.Scheme != "https" {
		uat.Failf("%q: scheme must be http or https", u.URL)
	} else if pu.Host == "" {
		uat.Failf("%q: no host", u.URL)
	} else if pu.RawQuery != "" || pu.Fragment != "" || pu.User != nil {
		uat.Failf("%q: must not carry a query, fragment or user info (use api_key)", u.URL)
	} else {
		parsed = pu
	}
	if typ == TypeAzure {
		if u.APIVersion == "" {
			at.Field("api_version").Failf("is required for type azure")
		}
	} else {
		if u.APIVersion != "" {
			at.Field("api_version").Failf("only applies to type azure")
		}
		if len(u.Deployments) > 0 {
			at.Field("deployments").Failf("only applies to type azure")
		}
	}
	for _, m := range sortedKeys(u.Deployments) {
		if u.Deployments[m] == "" || strings.ContainsAny(u.Deployments[m], "/?#") {
			at.Field("deployments").Key(m).Failf("invalid deployment name %q", u.Deployments[m])
		}
	}
	if missing := missingEnv(u.APIKey); missing != "" {
		at.Field("api_key").Failf("environment variable %s is not set", missing)
	}
	if u.APIKeyHeader != "" && !validHeaderName(u.APIKeyHeader) {
		at.Field("api_key_header").Failf("%q is not a valid header name", u.APIKeyHeader)
	}
	for _, k := range sortedKeys(u.Headers) {
		kat := at.Field("headers").Key(k)
		switch {
		case !validHeaderName(k):
			kat.Failf("not a valid header name")
		case isHopByHop(k) || isReservedHeader(k):
			kat.Failf("header %s is managed by the gateway", textproto.CanonicalMIMEHeaderKey(k))
		}
		if missing := missingEnv(u.Headers[k]); missing != "" {
			kat.Failf("environment variable %s is not set", missing)
		}
	}
	seen := map[string]bool{}
	for j, m := range u.Models {
		switch {
		case m == "" || m == CatchAll:
			at.Field("models").Index(j).Failf("invalid model name %q", m)
		case seen[m]:
			at.Field("models").Index(j).Failf("model %q is listed twice", m)
		}
		seen[m] = true
	}
	if u.Weight < 0 {
		at.Field("weight").Failf("must not be negative")
	}
	for _, d := range []struct {
		name string
		v    config.Duration
	}{{"timeout", u.Timeout}, {"connect_timeout", u.ConnectTimeout}, {"response_header_timeout", u.ResponseHeaderTimeout}, {"stream_idle_timeout", u.StreamIdleTimeout}} {
		if d.v < 0 {
			at.Field(d.name).Failf("must not be negative")
		}
	}
	if u.MaxIdleConns < 0 {
		at.Field("max_idle_conns").Failf("must not be negative")
	}
	u.TLS.validate(at.Field("tls"), parsed)
}

func (t *TLSConfig) set() bool { return *t != TLSConfig{} }

func (t *TLSConfig) validate(at *config.Checker, u *url.URL) {
	if !t.set() {
		return
	}
	if u != nil && u.Scheme != "https" {
		at.Failf("set, but the url is not https")
	}
	if t.CAFile != "" {
		if _, err := loadCAs(t.CAFile); err != nil {
			at.Field("ca_file").Failf("%v", err)
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		at.Field("key_file").Failf("is required with cert_file")
	case t.CertFile == "" && t.KeyFile != "":
		at.Field("cert_file").Failf("is required with key_file")
	case t.CertFile != "":
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			at.Field("cert_file").Failf("cannot load the client certificate: %s", sanitizeErr(err))
		}
	}
}

func loadCAs(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %s", sanitizeErr(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// sanitizeErr keeps file errors short; it never includes file contents.
func sanitizeErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

var envRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces each "${NAME}" in s by the environment variable NAME.
// A bare "$" is left alone, so keys containing "$" survive.
func expandEnv(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return envRE.ReplaceAllStringFunc(s, func(m string) string {
		return os.Getenv(m[2 : len(m)-1])
	})
}

// missingEnv returns the first "${NAME}" in s whose variable is unset.
func missingEnv(s string) string {
	for _, m := range envRE.FindAllStringSubmatch(s, -1) {
		if _, ok := os.LookupEnv(m[1]); !ok {
			return m[1]
		}
	}
	return ""
}
