// Package app is the composition root: configuration → components →
// servers. It is the only package that imports everything.
package app

import (
	"fmt"
	"os"
	"strings"

	"rampart/internal/anomaly"
	"rampart/internal/audit"
	"rampart/internal/clientip"
	"rampart/internal/config"
	"rampart/internal/proxy"
	"rampart/internal/ratelimit"
	"rampart/internal/telemetry"
)

// Config is the `rampart serve` configuration file. Flags and RAMPART_*
// environment variables override it.
type Config struct {
	Listen   string `yaml:"listen"`
	Data     string `yaml:"data"`
	Database string `yaml:"database"`
	Redis    string `yaml:"redis"`
	Policy   string `yaml:"policy"`

	Server ServerConfig `yaml:"server"`
	TLS    TLSConfig    `yaml:"tls"`

	proxy.Config `yaml:",inline"` // upstreams, routes, health

	Limits         ratelimit.Config        `yaml:"limits"`
	TrustedProxies []string                `yaml:"trusted_proxies"`
	Audit          audit.Config            `yaml:"audit"`
	Anomaly        anomaly.Config          `yaml:"anomaly"`
	Tracing        telemetry.TracingConfig `yaml:"tracing"`
	Log            LogConfig               `yaml:"log"`
}

// ServerConfig bounds what clients can make the gateway do.
type ServerConfig struct {
	MaxBody           config.Size     `yaml:"max_body"`            // default 8MiB
	MaxJSONDepth      int             `yaml:"max_json_depth"`      // default 64
	MaxHeaderBytes    config.Size     `yaml:"max_header_bytes"`    // default 64KiB
	MaxResponse       config.Size     `yaml:"max_response"`        // non-streamed upstream answer cap, default 64MiB
	ReadHeaderTimeout config.Duration `yaml:"read_header_timeout"` // default 10s
	BodyTimeout       config.Duration `yaml:"body_timeout"`        // time to read a request body, default 30s
	IdleTimeout       config.Duration `yaml:"idle_timeout"`        // keep-alive idle, default 120s
	ShutdownTimeout   config.Duration `yaml:"shutdown_timeout"`    // drain limit on SIGTERM, default 60s
}

// TLSConfig is the listener's TLS and client-certificate authentication.
type TLSConfig struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"` // enables mTLS
	// ClientAuth: optional (verify a certificate if given; API keys still
	// work) or require (every connection presents a verified certificate).
	ClientAuth string `yaml:"client_auth"`
	// ClientKeys maps a verified client certificate to an API key id:
	// "cn:NAME", "san:DNS-or-URI", or "sha256:HEX" (certificate
	// fingerprint) → "key_…".
	ClientKeys map[string]string `yaml:"client_keys"`
}

// LogConfig configures the JSON access and event log on stderr.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // json | text
}

// LoadConfig reads and strictly decodes a config file ("" = defaults),
// expanding ${VAR} references from the environment.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if err := config.DecodeStrict(data, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Defaults fills unset values.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Data == "" {
		c.Data = "./rampart-data"
	}
	s := &c.Server
	if s.MaxBody == 0 {
		s.MaxBody = 8 << 20
	}
	if s.MaxJSONDepth == 0 {
		s.MaxJSONDepth = 64
	}
	if s.MaxHeaderBytes == 0 {
		s.MaxHeaderBytes = 64 << 10
	}
	if s.MaxResponse == 0 {
		s.MaxResponse = 64 << 20
	}
	if s.ReadHeaderTimeout == 0 {
		s.ReadHeaderTimeout = config.Duration(10e9)
	}
	if s.BodyTimeout == 0 {
		s.BodyTimeout = config.Duration(30e9)
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = config.Duration(120e9)
	}
	if s.ShutdownTimeout == 0 {
		s.ShutdownTimeout = config.Duration(60e9)
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
}

// Validate reports every problem of the whole file with its path.
func (c *Config) Validate(demo bool) error {
	ch := config.NewChecker()
	if len(c.Upstreams) > 0 || len(c.Routes) > 0 {
		c.Config.Validate(ch)
	} else if !demo {
		ch.Field("upstreams").Failf("no upstream configured: set --upstream URL, add upstreams to the config, or use --demo")
	}
	if c.Server.MaxBody < 1024 {
		ch.Field("server").Field("max_body").Failf("must be at least 1KiB")
	}
	if c.Server.MaxJSONDepth < 4 || c.Server.MaxJSONDepth > 1000 {
		ch.Field("server").Field("max_json_depth").Failf("must be within [4, 1000]")
	}
	t := &c.TLS
	tc := ch.Field("tls")
	if (t.CertFile == "") != (t.KeyFile == "") {
		tc.Failf("cert_file and key_file go together")
	}
	if t.ClientCAFile != "" && t.CertFile == "" {
		tc.Field("client_ca_file").Failf("client certificates need TLS: set cert_file and key_file")
	}
	switch t.ClientAuth {
	case "", "optional", "require":
	default:
		tc.Field("client_auth").Failf("unknown value %q (known: optional, require)", t.ClientAuth)
	}
	for k := range t.ClientKeys {
		if !strings.HasPrefix(k, "cn:") && !strings.HasPrefix(k, "san:") && !strings.HasPrefix(k, "sha256:") {
			tc.Field("client_keys").Key(k).Failf("must start with cn:, san: or sha256:")
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		ch.Field("log").Field("level").Failf("unknown level %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		ch.Field("log").Field("format").Failf("unknown format %q", c.Log.Format)
	}
	if _, err := clientip.New(c.TrustedProxies); err != nil {
		ch.Field("trusted_proxies").Failf("%v", err)
	}
	c.Limits.Validate(ch.Field("limits"))
	c.Audit.Validate(ch.Field("audit"))
	c.Anomaly.Validate(ch.Field("anomaly"))
	return ch.Err()
}
