package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"rampart/internal/anomaly"
	"rampart/internal/audit"
	"rampart/internal/auth"
	"rampart/internal/demo"
	"rampart/internal/gateway"
	"rampart/internal/policy"
	"rampart/internal/proxy"
	"rampart/internal/ratelimit"
	_ "rampart/internal/scan/all" // register the built-in scanners
	"rampart/internal/store"
	"rampart/internal/telemetry"
)

// Flags are the `rampart serve` command-line settings; non-empty values
// override the config file.
type Flags struct {
	Config, Listen, Data, Upstream, UpstreamKey, Policy, Redis, Database string
	TLSCert, TLSKey                                                      string
	Demo                                                                 bool
}

// Serve runs the gateway until ctx is cancelled (SIGTERM), then drains
// in-flight requests and streams and returns nil.
func Serve(ctx context.Context, f Flags, stderr io.Writer) error {
	cfg, err := LoadConfig(f.Config)
	if err != nil {
		return err
	}
	override(&cfg.Listen, f.Listen)
	override(&cfg.Data, f.Data)
	override(&cfg.Policy, f.Policy)
	override(&cfg.Redis, f.Redis)
	override(&cfg.Database, f.Database)
	override(&cfg.TLS.CertFile, f.TLSCert)
	override(&cfg.TLS.KeyFile, f.TLSKey)
	if f.Upstream != "" {
		cfg.Config = proxy.Single(f.Upstream, f.UpstreamKey)
	}
	cfg.Defaults()
	if err := cfg.Validate(f.Demo); err != nil {
		return fmt.Errorf("config: %w", err)
	}

	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.Log.Level]
	logw := telemetry.NewAsyncWriter(stderr, 8192)
	defer logw.Close()
	log := telemetry.NewLogger(logw, level, cfg.Log.Format == "text")

	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	_ = os.Chmod(cfg.Data, 0o700)

	st, err := store.Open(ctx, cfg.Data, cfg.Database)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, err := auth.LoadSecret(cfg.Data)
	if err != nil {
		return err
	}

	metrics := telemetry.NewMetrics()

	// Upstreams, with the demo model when asked for.
	var demoSrv *http.Server
	if f.Demo {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("demo upstream: %w", err)
		}
		demoSrv = &http.Server{Handler: &demo.Server{Name: "rampart-demo", Models: []string{"demo"}}, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = demoSrv.Serve(ln) }()
		defer demoSrv.Close()
		cfg.Upstreams = append(cfg.Upstreams, proxy.UpstreamConfig{Name: "demo", URL: "http://" + ln.Addr().String() + "/v1", Models: []string{"demo"}})
		if len(cfg.Routes) > 0 {
			cfg.Routes = append(cfg.Routes, proxy.RouteConfig{Model: "demo", Upstreams: []string{"demo"}})
		}
	}
	pool, err := proxy.New(cfg.Config, proxy.Options{Logger: log, Observe: func(up string, status int, err error, d time.Duration) {
		switch {
		case err != nil && errors.Is(err, context.Canceled):
			// The client went away; not the upstream's fault.
		case err != nil && proxy.IsTimeout(err):
			metrics.UpstreamErrors.WithLabelValues(up, "timeout").Inc()
		case err != nil:
			metrics.UpstreamErrors.WithLabelValues(up, "connect").Inc()
		case status >= 500:
			metrics.UpstreamErrors.WithLabelValues(up, "status").Inc()
		}
	}})
	if err != nil {
		return fmt.Errorf("upstreams: %w", err)
	}
	defer pool.Close()

	policies, err := policy.Load(cfg.Policy)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	policies.Observe(metrics.ObserveScanner)

	var rdb redis.UniversalClient
	if cfg.Redis != "" {
		opt, err := redis.ParseURL(cfg.Redis)
		if err != nil {
			return fmt.Errorf("--redis: %w", err)
		}
		rdb = redis.NewClient(opt)
		defer rdb.Close()
	}
	if rdb != nil {
		metrics.LimitStoreUp.Set(1)
	}
	cfg.Limits.Hooks = ratelimit.Hooks{
		OnDecision:   metrics.LimitDecision,
		OnStoreError: func(op string, _ error) { metrics.LimitStoreErrs.WithLabelValues(op).Inc() },
		OnStoreState: func(up bool) {
			if up {
				metrics.LimitStoreUp.Set(1)
			} else {
				metrics.LimitStoreUp.Set(0)
			}
		},
	}
	limiter, err := ratelimit.New(cfg.Limits, rdb, log)
	if err != nil {
		return fmt.Errorf("limits: %w", err)
	}

	// audit.disabled: nothing is recorded (audit.Discard).
	var auditLog *audit.Log
	var recorder audit.Recorder = audit.Discard{}
	contentAudit := "none"
	if cfg.Audit.Disabled {
		log.Warn("audit log disabled by configuration (audit.disabled): requests are served unrecorded")
	} else {
		if auditLog, err = audit.Open(cfg.Audit, cfg.Data, cfg.Database, log); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		defer auditLog.Close()
		recorder, contentAudit = auditLog, auditLog.ContentMode()
	}

	cache, err := auth.NewCache(ctx, st, secret, &auth.CacheOptions{Logger: log})
	if err != nil {
		return err
	}
	cache.Start(ctx)
	defer cache.Stop()

	detector, err := anomaly.New(cfg.Anomaly, anomaly.Deps{
		Quarantiner: anomaly.QuarantineFunc(func(ctx context.Context, keyID, reason string) error {
			if err := cache.Quarantine(ctx, keyID, reason); err != nil {
				return err
			}
			return recorder.Record(ctx, &audit.Event{Time: time.Now().UTC(), Kind: "admin", Actor: "anomaly",
				Action: "key.quarantine", Target: keyID, KeyID: keyID, Reason: reason, Decision: "quarantine"})
		}),
		Redis:    rdb,
		Settings: st,
		Logger:   log,
		Metric: func(a anomaly.Alert) {
			metrics.Anomalies.WithLabelValues(string(a.Rule)).Inc()
		},
	})
	if err != nil {
		return fmt.Errorf("anomaly: %w", err)
	}
	defer detector.Close()
	registerAuditMetrics(metrics, auditLog, detector)

	shutdownTracing, err := telemetry.SetupTracing(ctx, cfg.Tracing)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer shutdownTracing(context.Background())

	if f.Demo {
		key, err := demoKey(ctx, st, secret)
		if err != nil {
			return fmt.Errorf("demo key: %w", err)
		}
		if err := cache.Reload(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "demo key: %s\n", key)
	}

	gw := gateway.New(gateway.Options{
		MaxBody:      int64(cfg.Server.MaxBody),
		MaxDepth:     cfg.Server.MaxJSONDepth,
		MaxResponse:  int64(cfg.Server.MaxResponse),
		BodyTimeout:  cfg.Server.BodyTimeout.D(),
		ContentAudit: contentAudit,
	}, gateway.Deps{
		Auth:      &keys{cache: cache, clientKeys: cfg.TLS.ClientKeys},
		Policies:  policies,
		Upstreams: upstreams{pool},
		Limiter:   limiter,
		Audit:     recorder,
		Metrics:   metrics,
		Logger:    log,
		ClientIP:  clientIPFunc(cfg.TrustedProxies),
		StoreOK:   st.Ping,
		Anomaly:   detector,
		Caps:      cfg.Limits.CapsFor,
	})
	go watchPolicy(ctx, cfg.Policy, gw, metrics, log)

	srv := &http.Server{
		Handler:           gw.Handler(),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout.D(),
		IdleTimeout:       cfg.Server.IdleTimeout.D(),
		MaxHeaderBytes:    int(cfg.Server.MaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// No WriteTimeout: it would cut long streams. Slow readers of a
		// body are bounded by the per-request body deadline instead.
	}
	scheme := "http"
	if cfg.TLS.CertFile != "" {
		tc, err := serverTLS(&cfg.TLS)
		if err != nil {
			return err
		}
		srv.TLSConfig = tc
		scheme = "https"
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if srv.TLSConfig != nil {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "rampart listening on %s://%s\n", scheme, ln.Addr())
	log.Info("rampart started", "listen", ln.Addr().String(), "upstreams", len(cfg.Upstreams), "policy", policies.Default.Name)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	gw.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout.D())
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown did not finish in time; closing remaining connections", "err", err)
		_ = srv.Close()
	}
	log.Info("rampart stopped")
	return nil
}

// registerAuditMetrics exposes the audit log's and the detector's own
// counters on /metrics.
func registerAuditMetrics(m *telemetry.Metrics, l *audit.Log, d *anomaly.Detector) {
	if l == nil {
		l = &audit.Log{} // audit disabled: the counters stay at zero
	}
	m.CounterFunc("rampart_audit_records_total", "Audit events durably recorded.", nil,
		func() float64 { return float64(l.Stats().Recorded) })
	m.CounterFunc("rampart_audit_record_errors_total", "Audit events that could not be recorded (Record returned an error).", nil,
		func() float64 { return float64(l.Stats().Failed) })
	m.CounterFunc("rampart_audit_commits_total", "Audit group commits (transactions) to the primary store; records_total ÷ commits_total is the mean batch.", nil,
		func() float64 { return float64(l.Stats().Commits) })
	m.CounterFunc("rampart_audit_copies_dropped_total", "Audit record copies dropped by background sinks.", nil,
		func() float64 { return float64(l.Stats().Dropped) })
	st := d.Stats()
	for _, r := range anomaly.AllRules() {
		m.CounterFunc("rampart_anomaly_rule_fired_total", "Times an anomaly rule fired (before alert cooldown).",
			map[string]string{"rule": r.String()}, func() float64 { return float64(st.Fired[r].Load()) })
	}
	for name, c := range map[string]interface{ Load() int64 }{
		"rampart_anomaly_quarantines_total": &st.Quarantined,
		"rampart_anomaly_throttles_total":   &st.Throttled,
		"rampart_anomaly_ip_blocks_total":   &st.IPBlocks,
	} {
		m.CounterFunc(name, "Anomaly responses: "+strings.TrimSuffix(strings.TrimPrefix(name, "rampart_anomaly_"), "_total")+".", nil,
			func() float64 { return float64(c.Load()) })
	}
}

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// demoKey revokes the keys earlier demo runs created and makes a new one.
func demoKey(ctx context.Context, st store.Store, secret []byte) (string, error) {
	ks, err := st.ListKeys(ctx)
	if err != nil {
		return "", err
	}
	now := time.Now()
	for _, k := range ks {
		if k.Name == "demo" && k.RevokedAt.IsZero() {
			if _, err := auth.Revoke(ctx, st, k.ID, now); err != nil {
				return "", err
			}
		}
	}
	_, key, err := auth.Create(ctx, st, secret, auth.KeySpec{Name: "demo"}, now)
	return key, err
}

func serverTLS(c *TLSConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	tc := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// Go's default TLS 1.2 suites are already the modern AEAD set; TLS
		// 1.3 suites are not configurable.
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
	}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.client_ca_file: no certificates found")
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
		if c.ClientAuth == "require" {
			tc.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return tc, nil
}

// watchPolicy reloads the policy file when it changes; a file that fails
// to compile is logged and the running policy stays.
func watchPolicy(ctx context.Context, path string, gw *gateway.Server, m *telemetry.Metrics, log *slog.Logger) {
	if path == "" {
		return
	}
	last := modTime(path)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		mt := modTime(path)
		if mt.Equal(last) {
			continue
		}
		last = mt
		set, err := policy.Load(path)
		if err != nil {
			log.Error("policy reload failed; keeping the running policy", "path", path, "err", err)
			continue
		}
		set.Observe(m.ObserveScanner)
		gw.SetPolicies(set)
		log.Info("policy reloaded", "path", path, "policy", set.Default.Name)
	}
}

func modTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
