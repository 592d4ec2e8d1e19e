package anomaly

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Alert is one rule firing, as sent to the webhook (JSON) and logged. It
// names the subject (key ID, tenant or client address) and the numbers
// that crossed the threshold; never prompt text or a secret.
type Alert struct {
	Time      time.Time `json:"time"`
	Rule      string    `json:"rule"`
	Subject   string    `json:"subject"` // key | tenant | ip
	ID        string    `json:"id"`      // key ID, tenant or address (IPv6: prefix)
	Tenant    string    `json:"tenant,omitempty"`
	Model     string    `json:"model,omitempty"`
	ClientIP  string    `json:"client_ip,omitempty"`
	Actions   []string  `json:"actions"`
	Observed  float64   `json:"observed"`
	Threshold float64   `json:"threshold"`
	Reason    string    `json:"reason"`
}

// Alerter delivers alerts. The Detector calls it from one background
// goroutine, so it may block (up to the configured timeout).
type Alerter interface {
	Alert(ctx context.Context, a Alert) error
}

// NewAlerter returns the default Alerter: a structured log line (level
// WARN, message "anomaly alert"), the metric callback, and — when
// cfg.Webhook is set — a JSON POST with cfg.Timeout, signed with
// X-Rampart-Signature: sha256=<hex HMAC-SHA256 of the body> when
// cfg.Secret is set. client nil means a client with no proxy surprises:
// http.DefaultTransport.
func NewAlerter(cfg AlertConfig, client *http.Client, log *slog.Logger, metric func(Alert)) Alerter {
	if client == nil {
		client = &http.Client{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &defaultAlerter{cfg: cfg, client: client, log: log, metric: metric}
}

type defaultAlerter struct {
	cfg    AlertConfig
	client *http.Client
	log    *slog.Logger
	metric func(Alert)
}

func (a *defaultAlerter) Alert(ctx context.Context, al Alert) error {
	a.log.Warn("anomaly alert", "rule", al.Rule, "subject", al.Subject, "id", al.ID,
		"tenant", al.Tenant, "actions", al.Actions, "observed", al.Observed,
		"threshold", al.Threshold, "reason", al.Reason)
	if a.metric != nil {
		a.metric(al)
	}
	if a.cfg.Webhook == "" {
		return nil
	}
	body, err := json.Marshal(al)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout.D())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.Webhook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "rampart-anomaly")
	if a.cfg.Secret != "" {
		m := hmac.New(sha256.New, []byte(a.cfg.Secret))
		m.Write(body)
		req.Header.Set("X-Rampart-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("alert webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("alert webhook: status %d", resp.StatusCode)
	}
	return nil
}

// alertQueue hands alerts to the Alerter off the request path. When the
// queue is full the alert is dropped and counted (the rule's other
// actions still apply).
type alertQueue struct {
	ch      chan Alert
	alerter Alerter
	timeout time.Duration
	log     *slog.Logger
	stats   *Stats
}

func newAlertQueue(a Alerter, cfg AlertConfig, log *slog.Logger, st *Stats) *alertQueue {
	return &alertQueue{ch: make(chan Alert, cfg.Queue), alerter: a, timeout: cfg.Timeout.D(), log: log, stats: st}
}

func (q *alertQueue) push(a Alert) {
	select {
	case q.ch <- a:
	default:
		q.stats.AlertsDropped.Add(1)
	}
}

func (q *alertQueue) run(stop <-chan struct{}) {
	for {
		select {
		case a := <-q.ch:
			q.send(a)
		case <-stop:
			// Drain what is queued, for at most one timeout in all.
			deadline := time.Now().Add(q.timeout)
			for time.Now().Before(deadline) {
				select {
				case a := <-q.ch:
					q.send(a)
				default:
					return
				}
			}
			return
		}
	}
}

func (q *alertQueue) send(a Alert) {
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout+time.Second)
	defer cancel()
	if err := q.alerter.Alert(ctx, a); err != nil {
		q.stats.AlertErrors.Add(1)
		q.log.Error("anomaly: alert delivery failed", "rule", a.Rule, "err", err)
		return
	}
	q.stats.AlertsSent.Add(1)
}
