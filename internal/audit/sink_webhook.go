package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// webhookSink POSTs batches of records to a SIEM as
//
//	{"records": [RECORD, …]}
//
// (Content-Type application/json), retrying 5xx, 429 and network errors
// with exponential backoff. As a background sink it accumulates records
// and sends when BatchSize records are waiting or FlushInterval passed.
type webhookSink struct {
	name     string
	url      string
	headers  map[string]string
	retries  int
	client   *http.Client
	batch    int
	interval time.Duration
	logger   *slog.Logger

	mu      sync.Mutex
	buf     []*StoredRecord
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	async   bool
}

func newWebhookSink(sc SinkConfig, logger *slog.Logger) *webhookSink {
	s := &webhookSink{
		name: sc.name(), url: sc.URL, headers: sc.Headers, retries: sc.MaxRetries,
		batch: sc.BatchSize, interval: sc.FlushInterval.D(), logger: logger,
		stop: make(chan struct{}), stopped: make(chan struct{}), async: !sc.Required,
	}
	if s.retries == 0 {
		s.retries = 3
	}
	if s.batch == 0 {
		s.batch = 100
	}
	if s.interval == 0 {
		s.interval = time.Second
	}
	to := sc.RequestTimeout.D()
	if to == 0 {
		to = 10 * time.Second
	}
	s.client = &http.Client{Timeout: to}
	if s.async {
		go s.flusher()
	} else {
		close(s.stopped)
	}
	return s
}

func (s *webhookSink) Name() string { return s.name }

// Write sends recs now when the sink is required; otherwise it buffers
// them for the flusher.
func (s *webhookSink) Write(ctx context.Context, recs []*StoredRecord) error {
	if !s.async {
		return s.post(ctx, recs)
	}
	s.mu.Lock()
	s.buf = append(s.buf, recs...)
	var send []*StoredRecord
	if len(s.buf) >= s.batch {
		send, s.buf = s.buf, nil
	}
	s.mu.Unlock()
	if send != nil {
		return s.post(ctx, send)
	}
	return nil
}

func (s *webhookSink) flusher() {
	defer close(s.stopped)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.stop:
			s.flush()
			return
		}
		s.flush()
	}
}

func (s *webhookSink) flush() {
	s.mu.Lock()
	send := s.buf
	s.buf = nil
	s.mu.Unlock()
	if len(send) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.post(ctx, send); err != nil {
		s.logger.Warn("audit webhook delivery failed", "sink", s.name, "records", len(send), "err", err)
	}
}

func (s *webhookSink) post(ctx context.Context, recs []*StoredRecord) error {
	for start := 0; start < len(recs); start += s.batch {
		end := min(start+s.batch, len(recs))
		body, err := json.Marshal(struct {
			Records []*StoredRecord `json:"records"`
		}{recs[start:end]})
		if err != nil {
			return err
		}
		if err := s.postOne(ctx, body); err != nil {
			return err
		}
	}
	return nil
}

func (s *webhookSink) postOne(ctx context.Context, body []byte) error {
	backoff := 100 * time.Millisecond
	var last error
	for attempt := 0; attempt <= s.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return fmt.Errorf("%w (last error: %w)", ctx.Err(), last)
			}
			backoff *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "rampart-audit")
		for k, v := range s.headers {
			req.Header.Set(k, v)
		}
		resp, err := s.client.Do(req)
		if err != nil {
			last = err
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		last = fmt.Errorf("webhook answered %s", resp.Status)
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
			return last // not retryable
		}
	}
	return last
}

func (s *webhookSink) Close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.stopped
	return nil
}

// newSink builds a copy sink.
func newSink(sc SinkConfig, logger *slog.Logger) (Sink, error) {
	switch sc.Type {
	case SinkJSONL:
		return newJSONLSink(sc)
	case SinkSyslog:
		return newSyslogSink(sc)
	case SinkWebhook:
		return newWebhookSink(sc, logger), nil
	}
	return nil, fmt.Errorf("unknown sink type %q", sc.Type)
}
