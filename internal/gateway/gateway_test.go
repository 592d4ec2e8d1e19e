package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"

	"rampart/internal/audit"
	"rampart/internal/demo"
	"rampart/internal/openai"
	"rampart/internal/policy"
	_ "rampart/internal/scan/all"
)

type fakeAuth struct{}

func (fakeAuth) Authenticate(secret string) (*Principal, error) {
	switch secret {
	case "good":
		return &Principal{KeyID: "key_good", Models: []string{"demo"}}, nil
	case "panic":
		panic("boom")
	}
	return nil, errors.New("unknown key")
}

func (fakeAuth) ByCertificate(*http.Request) (*Principal, bool, error) { return nil, false, nil }

// fakeUpstreams forwards to an in-process demo server.
type fakeUpstreams struct{ url string }

func (f fakeUpstreams) Models() []string  { return []string{"demo"} }
func (f fakeUpstreams) Has(m string) bool { return m == "demo" }
func (f fakeUpstreams) Ready() bool       { return true }
func (f fakeUpstreams) Forward(ctx context.Context, r *UpstreamRequest) (*UpstreamResponse, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/v1"+r.Path, bytes.NewReader(r.Body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, openai.Errorf(502, openai.CodeUpstreamError, "upstream failed")
	}
	return &UpstreamResponse{Response: resp, Upstream: "demo"}, nil
}

type recorder struct {
	mu     sync.Mutex
	events []audit.Event
	fail   bool
}

func (r *recorder) Record(_ context.Context, e *audit.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("disk on fire")
	}
	r.events = append(r.events, *e)
	return nil
}

func newTestServer(t *testing.T, rec audit.Recorder) http.Handler {
	t.Helper()
	up := httptest.NewServer(&demo.Server{Name: "demo"})
	t.Cleanup(up.Close)
	set, err := policy.Builtin("balanced")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{MaxBody: 4096}, Deps{Auth: fakeAuth{}, Policies: set, Upstreams: fakeUpstreams{up.URL}, Audit: rec})
	return s.Handler()
}

func do(h http.Handler, method, path, key, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func code(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Error openai.Error `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("not an OpenAI error (%d): %s", w.Code, w.Body)
	}
	return e.Error.Code
}

const chat = `{"model":"demo","messages":[{"role":"user","content":"hello"}]}`

func TestAuditFailsClosed(t *testing.T) {
	rec := &recorder{fail: true}
	w := do(newTestServer(t, rec), "POST", "/v1/chat/completions", "good", chat)
	if w.Code != 503 || code(t, w) != "audit_unavailable" || w.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestAuditRecordsRequestAndResponse(t *testing.T) {
	rec := &recorder{}
	h := newTestServer(t, rec)
	if w := do(h, "POST", "/v1/chat/completions", "good", `{"model":"demo","messages":[{"role":"user","content":"mail ada@example.com"}]}`); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/v1/chat/completions", "nope", chat); w.Code != 401 {
		t.Fatalf("%d", w.Code)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) != 3 {
		t.Fatalf("%d events: %+v", len(rec.events), rec.events)
	}
	req, resp, unauth := rec.events[0], rec.events[1], rec.events[2]
	if req.Kind != "request" || req.Decision != "pseudonymize" || len(req.Findings) == 0 || req.Findings[0].Type != "EMAIL" {
		t.Errorf("request event %+v", req)
	}
	if req.Prompt != "mail ada@example.com" || strings.Contains(req.PromptRedacted, "ada@") {
		t.Errorf("prompt content: %q / %q", req.Prompt, req.PromptRedacted)
	}
	if resp.Kind != "response" || resp.Status != 200 || resp.RequestID != req.RequestID || resp.Upstream != "demo" {
		t.Errorf("response event %+v", resp)
	}
	if unauth.Decision != "unauthorized" || unauth.Status != 401 {
		t.Errorf("unauthorized event %+v", unauth)
	}
	for _, e := range rec.events {
		b, _ := json.Marshal(e)
		if bytes.Contains(b, []byte("ada@example.com")) {
			t.Errorf("serialized event carries the raw prompt: %s", b)
		}
	}
}

func TestPanicIsRecovered(t *testing.T) {
	w := do(newTestServer(t, &recorder{}), "POST", "/v1/chat/completions", "panic", chat)
	if w.Code != 500 || code(t, w) != "internal_error" || w.Header().Get("X-Request-Id") == "" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestRoutesAndMethods(t *testing.T) {
	h := newTestServer(t, &recorder{})
	if w := do(h, "GET", "/v1/chat/completions", "good", ""); w.Code != 405 || code(t, w) != "method_not_allowed" {
		t.Fatalf("GET chat: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", "/nope", "", ""); w.Code != 404 {
		t.Fatalf("unknown route: %d", w.Code)
	}
	if w := do(h, "GET", "/v1/models", "good", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"id":"demo"`) {
		t.Fatalf("models: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", "/v1/models/demo", "good", ""); w.Code != 200 {
		t.Fatalf("model: %d", w.Code)
	}
	if w := do(h, "GET", "/v1/models", "", ""); w.Code != 401 {
		t.Fatalf("models without key: %d", w.Code)
	}
	if w := do(h, "POST", "/v1/chat/completions", "good", `{"model":"demo","messages":[{"role":"user","content":"`+strings.Repeat("x", 5000)+`"}]}`); w.Code != 413 || code(t, w) != "request_too_large" {
		t.Fatalf("too large: %d %s", w.Code, w.Body)
	}
	req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(chat))
	req.Header.Set("Authorization", "Bearer good")
	req.Header.Set("Content-Type", "text/plain")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 400 {
		t.Fatalf("text/plain body: %d", w.Code)
	}
}

func TestPseudonymsRestoredAndSecretsRedacted(t *testing.T) {
	h := newTestServer(t, &recorder{})
	// The model "writes" the placeholder it was given for the address.
	w := do(h, "POST", "/v1/chat/completions", "good", `{"model":"demo","messages":[{"role":"user","content":"ada@example.com"},{"role":"user","content":"!say Noted, the reply goes to <EMAIL_1> today."}]}`)
	if w.Code != 200 || gjson.Get(w.Body.String(), "choices.0.message.content").String() != "Noted, the reply goes to ada@example.com today." {
		t.Fatalf("placeholder not restored: %d %s", w.Code, w.Body)
	}
	// A placeholder this request did not create is never restored.
	w = do(h, "POST", "/v1/chat/completions", "good", `{"model":"demo","messages":[{"role":"user","content":"!say Write to <EMAIL_7>."}]}`)
	if gjson.Get(w.Body.String(), "choices.0.message.content").String() != "Write to <EMAIL_7>." {
		t.Fatalf("foreign placeholder changed: %s", w.Body)
	}
	// A secret the model emits is redacted in the answer.
	w = do(h, "POST", "/v1/chat/completions", "good", `{"model":"demo","messages":[{"role":"user","content":"!say the key is ghp_R8xT2kLm9QvB4nZc7WpY1dHs6JfA3eKu0gNo"}]}`)
	if w.Code != 200 || strings.Contains(w.Body.String(), "ghp_R8xT2kLm9QvB4nZc7WpY1dHs6JfA3eKu0gNo") {
		t.Fatalf("secret leaked: %d %s", w.Code, w.Body)
	}
}
