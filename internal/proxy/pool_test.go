package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

func TestRoutingByUpstreamModels(t *testing.T) {
	a, b := newFake(t, nil), newFake(t, nil)
	p := mustPool(t, Config{Upstreams: []UpstreamConfig{
		{Name: "a", URL: a.v1(), Models: []string{"llama3", "qwen"}},
		{Name: "b", URL: b.v1(), Models: []string{"gpt-4o"}},
	}})
	if got, want := p.Models(), []string{"gpt-4o", "llama3", "qwen"}; !slices.Equal(got, want) {
		t.Errorf("Models() = %v, want %v", got, want)
	}
	for _, c := range []struct{ model, want string }{{"llama3", "a"}, {"gpt-4o", "b"}, {"qwen", "a"}} {
		resp, _, err := forward(t, p, chat(c.model))
		if err != nil {
			t.Fatalf("Forward(%s): %v", c.model, err)
		}
		if resp.Upstream != c.want || resp.Attempts != 1 {
			t.Errorf("Forward(%s) went to %s in %d attempts, want %s in 1", c.model, resp.Upstream, resp.Attempts, c.want)
		}
	}
	req, body := a.got()
	if req.URL.Path != "/v1/chat/completions" || req.Method != http.MethodPost {
		t.Errorf("upstream got %s %s", req.Method, req.URL.Path)
	}
	if gjson.GetBytes(body, "model").String() != "qwen" {
		t.Errorf("body model rewritten without an alias: %s", body)
	}
	if p.Has("mistral") {
		t.Error("Has(mistral) = true")
	}
	if _, err := p.Forward(context.Background(), chat("mistral")); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("unknown model: err = %v, want ErrUnknownModel", err)
	}
}

func TestAliasesAndUpstreamModel(t *testing.T) {
	a := newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{{Name: "vllm", URL: a.v1()}},
		Routes: []RouteConfig{
			{Model: "smart", Aliases: []string{"gpt-4o", "best"}, Upstreams: []string{"vllm"}, UpstreamModel: "meta-llama/Llama-3.1-70B"},
			{Model: "fast", Aliases: []string{"mini"}, Upstreams: []string{"vllm"}},
		},
	})
	if got, want := p.Models(), []string{"best", "fast", "gpt-4o", "mini", "smart"}; !slices.Equal(got, want) {
		t.Errorf("Models() = %v, want %v", got, want)
	}
	cases := []struct{ asked, sent string }{
		{"smart", "meta-llama/Llama-3.1-70B"},
		{"gpt-4o", "meta-llama/Llama-3.1-70B"},
		{"mini", "fast"},
		{"fast", "fast"},
	}
	for _, c := range cases {
		if _, _, err := forward(t, p, chat(c.asked)); err != nil {
			t.Fatalf("Forward(%s): %v", c.asked, err)
		}
		_, body := a.got()
		if got := gjson.GetBytes(body, "model").String(); got != c.sent {
			t.Errorf("asked %s: upstream got model %q, want %q", c.asked, got, c.sent)
		}
		if got := gjson.GetBytes(body, "messages.0.content").String(); got != "hi" {
			t.Errorf("asked %s: rewrite lost the messages: %s", c.asked, body)
		}
	}
	if p.Has("vllm") || !p.Has("best") {
		t.Error("Has: wrong answer for an upstream name or an alias")
	}
}

func TestSingleServesEveryModel(t *testing.T) {
	a := newFake(t, nil)
	p := mustPool(t, Single(a.v1(), "sk-up"))
	if len(p.Models()) != 0 {
		t.Errorf("Models() = %v, want none", p.Models())
	}
	r := chat("whatever-model")
	resp, body, err := forward(t, p, r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body != `{"ok":true}` {
		t.Errorf("got %d %q", resp.StatusCode, body)
	}
	req, sent := a.got()
	if string(sent) != string(r.Body) {
		t.Errorf("body changed: %s", sent)
	}
	if req.Header.Get("Authorization") != "Bearer sk-up" {
		t.Errorf("Authorization = %q", req.Header.Get("Authorization"))
	}
}

func TestCatchAllRoute(t *testing.T) {
	local, cloud := newFake(t, nil), newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{
			{Name: "local", URL: local.v1(), Models: []string{"llama3"}},
			{Name: "cloud", URL: cloud.v1()},
		},
		Routes: []RouteConfig{{Model: "*", Upstreams: []string{"cloud"}}},
	})
	for model, want := range map[string]string{"llama3": "local", "gpt-4.1": "cloud"} {
		resp, _, err := forward(t, p, chat(model))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Upstream != want {
			t.Errorf("%s went to %s, want %s", model, resp.Upstream, want)
		}
	}
	if !slices.Equal(p.Models(), []string{"llama3"}) {
		t.Errorf("Models() = %v", p.Models())
	}
}

func TestWeightedDistribution(t *testing.T) {
	a, b, c := newFake(t, nil), newFake(t, nil), newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{
			{Name: "a", URL: a.v1(), Weight: 3},
			{Name: "b", URL: b.v1(), Weight: 1},
			{Name: "c", URL: c.v1()}, // weight 1 by default
		},
		Routes: []RouteConfig{{Model: "m", Upstreams: []string{"a", "b", "c"}}},
	})
	var seq []string
	for range 10 {
		resp, _, err := forward(t, p, chat("m"))
		if err != nil {
			t.Fatal(err)
		}
		seq = append(seq, resp.Upstream)
	}
	if a.hits.Load() != 6 || b.hits.Load() != 2 || c.hits.Load() != 2 {
		t.Errorf("hits a=%d b=%d c=%d, want 6 2 2 (sequence %v)", a.hits.Load(), b.hits.Load(), c.hits.Load(), seq)
	}
	// Smooth: the heavy upstream never gets more than two in a row.
	for i := 2; i < len(seq); i++ {
		if seq[i] == "a" && seq[i-1] == "a" && seq[i-2] == "a" {
			t.Errorf("bursty sequence %v", seq)
		}
	}
}

func TestFailoverOnConnectionRefused(t *testing.T) {
	ok := newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{{Name: "dead", URL: deadURL(t)}, {Name: "ok", URL: ok.v1()}},
		Routes:    []RouteConfig{{Model: "m", Upstreams: []string{"dead", "ok"}}},
	})
	resp, body, err := forward(t, p, chat("m"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Upstream != "ok" || resp.Attempts != 2 || body != `{"ok":true}` {
		t.Errorf("got upstream %s, %d attempts, body %q", resp.Upstream, resp.Attempts, body)
	}
	if _, sent := ok.got(); gjson.GetBytes(sent, "messages.0.content").String() != "hi" {
		t.Errorf("the retried body was not sent whole: %s", sent)
	}
}

func TestFailoverOn5xx(t *testing.T) {
	bad, ok := newFake(t, status(503)), newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{{Name: "bad", URL: bad.v1()}, {Name: "ok", URL: ok.v1()}},
		Routes:    []RouteConfig{{Model: "m", Upstreams: []string{"bad", "ok"}}},
	})
	resp, _, err := forward(t, p, chat("m"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Upstream != "ok" || bad.hits.Load() != 1 {
		t.Errorf("upstream %s, bad hits %d", resp.Upstream, bad.hits.Load())
	}
}

func TestAllFailReturnsSafeError(t *testing.T) {
	bad1, bad2 := newFake(t, status(500)), newFake(t, status(502))
	var observed []int
	p, err := New(Config{
		Upstreams: []UpstreamConfig{{Name: "x", URL: bad1.v1()}, {Name: "y", URL: bad2.v1()}},
		Routes:    []RouteConfig{{Model: "m", Upstreams: []string{"x", "y"}}},
	}, Options{Observe: func(_ string, status int, _ error, _ time.Duration) { observed = append(observed, status) }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Forward(context.Background(), chat("m"))
	pe := asError(t, err)
	if pe.Status != 502 || pe.Upstream != "y" || pe.Attempts != 2 || pe.Timeout {
		t.Errorf("error = %+v", pe)
	}
	if pe.HTTPStatus() != 502 || pe.Code() != "upstream_error" {
		t.Errorf("maps to %d %s", pe.HTTPStatus(), pe.Code())
	}
	if msg := string(pe.OpenAI().Body()); strings.Contains(msg, "password") || strings.Contains(msg, "127.0.0.1") {
		t.Errorf("client message leaks upstream detail: %s", msg)
	}
	if !slices.Equal(observed, []int{500, 502}) {
		t.Errorf("observed %v", observed)
	}
}

func TestFailoverOnHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ok := newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{
			{Name: "slow", URL: slow.v1(), ResponseHeaderTimeout: dur(20 * time.Millisecond)},
			{Name: "ok", URL: ok.v1()},
		},
		Routes: []RouteConfig{{Model: "m", Upstreams: []string{"slow", "ok"}}},
	})
	resp, _, err := forward(t, p, chat("m"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Upstream != "ok" || resp.Attempts != 2 {
		t.Errorf("upstream %s after %d attempts", resp.Upstream, resp.Attempts)
	}

	only := mustPool(t, Config{Upstreams: []UpstreamConfig{{Name: "slow", URL: slow.v1(), ResponseHeaderTimeout: dur(20 * time.Millisecond)}}})
	_, err = only.Forward(context.Background(), chat("m"))
	if pe := asError(t, err); !pe.Timeout || pe.HTTPStatus() != 504 || pe.Code() != "upstream_timeout" || !IsTimeout(pe.Err) {
		t.Errorf("header timeout: %+v", pe)
	}
}

func TestOverallTimeoutNonStream(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	slow := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	p := mustPool(t, Config{Upstreams: []UpstreamConfig{{Name: "slow", URL: slow.v1(), Timeout: dur(20 * time.Millisecond)}}})
	_, err := p.Forward(context.Background(), chat("m"))
	if pe := asError(t, err); !pe.Timeout {
		t.Errorf("want a timeout, got %+v", pe)
	}
}

func TestNoRetryAfterHead(t *testing.T) {
	broken := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, `{"partial":`)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // cut the connection mid-body
	})
	other := newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{{Name: "broken", URL: broken.v1(), Weight: 5}, {Name: "other", URL: other.v1()}},
		Routes:    []RouteConfig{{Model: "m", Upstreams: []string{"broken", "other"}}},
	})
	resp, err := p.Forward(context.Background(), chat("m"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Upstream != "broken" {
		t.Fatalf("went to %s", resp.Upstream)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("reading a cut body succeeded")
	}
	if other.hits.Load() != 0 {
		t.Errorf("retried after the head was returned: other hits %d", other.hits.Load())
	}
}

func Test4xxIsReturnedAsIs(t *testing.T) {
	limited := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(429)
		io.WriteString(w, `{"error":{"message":"slow down"}}`)
	})
	other := newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{{Name: "limited", URL: limited.v1()}, {Name: "other", URL: other.v1()}},
		Routes:    []RouteConfig{{Model: "m", Upstreams: []string{"limited", "other"}}},
	})
	resp, body, err := forward(t, p, chat("m"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || !strings.Contains(body, "slow down") {
		t.Errorf("got %d %v %q", resp.StatusCode, resp.Header, body)
	}
	if other.hits.Load() != 0 {
		t.Error("a 4xx was retried")
	}
}

func TestCallerCancelDoesNotFailOver(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hang := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	other := newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{{Name: "hang", URL: hang.v1(), Weight: 5}, {Name: "other", URL: other.v1()}},
		Routes:    []RouteConfig{{Model: "m", Upstreams: []string{"hang", "other"}}},
		Health:    HealthConfig{FailureThreshold: 1},
	})
	_, err := p.Forward(ctx, chat("m"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if other.hits.Load() != 0 {
		t.Error("failed over after the caller cancelled")
	}
	if !p.upstreams[0].health.available(p.now()) {
		t.Error("the caller's cancellation counted against the upstream")
	}
}
