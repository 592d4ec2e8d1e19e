package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rampart/internal/config"
)

// fake is an OpenAI-compatible test upstream that records what it got.
type fake struct {
	*httptest.Server
	hits    atomic.Int64
	mu      sync.Mutex
	last    *http.Request
	body    []byte
	handler http.HandlerFunc // optional; default answers 200 {"ok":true}
}

func newFake(t *testing.T, h http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{handler: h}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.last, f.body = r, b
	f.mu.Unlock()
	f.hits.Add(1)
	if f.handler != nil {
		f.handler(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

func (f *fake) got() (*http.Request, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, f.body
}

func (f *fake) v1() string { return f.URL + "/v1" }

// status answers every request with code.
func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		io.WriteString(w, `{"error":{"message":"internal detail: db password wrong"}}`)
	}
}

// deadURL is a URL where nothing listens.
func deadURL(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL
	s.Close()
	return u + "/v1"
}

func mustPool(t *testing.T, cfg Config) *Pool {
	t.Helper()
	p, err := New(cfg, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

func chat(model string) *Request {
	return &Request{
		Model: model,
		Path:  "/chat/completions",
		Body:  []byte(`{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]}`),
	}
}

// forward calls Forward and reads and closes the body.
func forward(t *testing.T, p *Pool, r *Request) (*Response, string, error) {
	t.Helper()
	resp, err := p.Forward(context.Background(), r)
	if err != nil {
		return nil, "", err
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		t.Fatalf("reading body: %v", rerr)
	}
	return resp, string(b), nil
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	return pe
}

// clock is a manual clock for health tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func dur(d time.Duration) config.Duration { return config.Duration(d) }
