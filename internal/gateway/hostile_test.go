package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"rampart/internal/audit"
	"rampart/internal/policy"
)

func TestNonCanonicalPathsAnswerOpenAIErrors(t *testing.T) {
	h := newTestServer(t, &recorder{})
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"POST", "//v1/chat/completions", 404, "not_found"},
		{"POST", "/v1//chat/completions", 404, "not_found"},
		{"GET", "/v1/../v1/models", 404, "not_found"},
		{"GET", "/v1/./models", 404, "not_found"},
		{"POST", "/v1/chat/completions/", 404, "not_found"},
		// An escaped slash is not the chat route, so not a 405 on it.
		{"POST", "/v1/chat%2Fcompletions", 404, "not_found"},
		{"PUT", "/v1/chat/completions", 405, "method_not_allowed"},
		{"OPTIONS", "/v1/embeddings", 405, "method_not_allowed"},
		{"DELETE", "/v1/models", 405, "method_not_allowed"},
	} {
		w := do(h, c.method, c.path, "good", chat)
		if w.Code != c.status || code(t, w) != c.code || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Location") != "" {
			t.Errorf("%s %s: %d %q %s", c.method, c.path, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		if c.status == 405 && w.Header().Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
	// The canonical forms still work, with a query string too.
	if w := do(h, "POST", "/v1/chat/completions?x=1", "good", chat); w.Code != 200 {
		t.Fatalf("query string: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", "/v1/models/demo", "good", ""); w.Code != 200 {
		t.Fatalf("model: %d %s", w.Code, w.Body)
	}
}

func TestAPIKeyHeaders(t *testing.T) {
	for _, c := range []struct {
		auth, xkey, want string
	}{
		{"Bearer k1", "", "k1"},
		{"bearer   k1  ", "", "k1"},
		{"BEARER k1", "", "k1"},
		{"Bearer\tk1", "", "k1"},
		{"Bearer k1", "k2", "k1"},
		{"Basic dXNlcjpwYXNz", "k2", "k2"},
		{"Bearer", "", ""},
		{"Bearer ", "", ""},
		{"Bearerk1", "", ""},
		{"", " k2\t", "k2"},
	} {
		h := http.Header{}
		if c.auth != "" {
			h.Set("Authorization", c.auth)
		}
		if c.xkey != "" {
			h.Set("X-Api-Key", c.xkey)
		}
		if got := apiKey(h); got != c.want {
			t.Errorf("Authorization %q, x-api-key %q: got %q, want %q", c.auth, c.xkey, got, c.want)
		}
	}
}

// slowStream is an upstream that sends one chunk and then holds the
// stream open until its caller goes away, which it reports.
type slowStream struct{ gone chan struct{} }

func (s *slowStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprint(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"demo","choices":[{"index":0,"delta":{"role":"assistant","content":"Once upon a time"},"finish_reason":null}]}`+"\n\n")
	w.(http.Flusher).Flush()
	select {
	case <-r.Context().Done():
		close(s.gone)
	case <-time.After(time.Minute):
	}
}

// TestStreamClientDisconnect checks that a caller leaving mid-stream ends
// the upstream request and the handler, and that the audit log says so.
func TestStreamClientDisconnect(t *testing.T) {
	slow := &slowStream{gone: make(chan struct{})}
	up := httptest.NewServer(slow)
	defer up.Close()
	set, err := policy.Builtin("balanced")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	done := make(chan struct{})
	s := New(Options{}, Deps{Auth: fakeAuth{}, Policies: set, Upstreams: fakeUpstreams{up.URL}, Audit: rec})
	inner := s.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r)
		close(done)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"demo","stream":true,"messages":[{"role":"user","content":"tell me a story"}]}`))
	req.Header.Set("Authorization", "Bearer good")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first chunk: %q %v", line, err)
	}
	cancel()
	resp.Body.Close()

	deadline := time.After(20 * time.Second)
	for _, c := range []struct {
		what string
		ch   chan struct{}
	}{{"the upstream request to end", slow.gone}, {"the handler to return", done}} {
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("waiting for %s", c.what)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var last audit.Event
	for _, e := range rec.events {
		if e.Kind == "response" {
			last = e
		}
	}
	if last.Status != 499 || last.ErrorCode != "client_closed_request" || !last.Stream {
		t.Fatalf("response event: %+v", last)
	}
}

// TestConcurrentHostileRequests runs well-formed and hostile requests at
// once (meant for -race): each gets its own, well-shaped answer.
func TestConcurrentHostileRequests(t *testing.T) {
	rec := &recorder{}
	h := newTestServer(t, rec)
	srv := httptest.NewServer(h)
	defer srv.Close()
	cases := []struct {
		key, body string
		status    int
	}{
		{"good", chat, 200},
		{"good", `{"model":"demo","stream":true,"messages":[{"role":"user","content":"hi"}]}`, 200},
		{"bad", chat, 401},
		{"good", `{"model":"demo","messages":[{"role":"user","content":"hi"}],"model":"other"}`, 400},
		{"good", `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`, 404},
		{"good", `[`, 400},
	}
	var wg sync.WaitGroup
	for i := range 4 * len(cases) {
		c := cases[i%len(cases)]
		wg.Go(func() {
			req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(c.body))
			req.Header.Set("Authorization", "Bearer "+c.key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("%.60s: %d %s", c.body, resp.StatusCode, b)
			}
			if c.status != 200 && !strings.Contains(string(b), `"error":{"message":`) {
				t.Errorf("%.60s: not an OpenAI error: %s", c.body, b)
			}
		})
	}
	wg.Wait()
}
