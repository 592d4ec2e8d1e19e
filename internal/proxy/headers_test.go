package proxy

import (
	"io"
	"net/http"
	"testing"
)

func TestCredentialsInjectedCallerAuthStripped(t *testing.T) {
	t.Setenv("RAMPART_TEST_UPSTREAM_KEY", "sk-upstream")
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Conn-Only")
		h.Set("X-Conn-Only", "1")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Proxy-Authenticate", "Basic")
		h.Set("Set-Cookie", "session=upstream")
		h.Set("X-Request-Id", "up-1")
		h.Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	})
	p := mustPool(t, Config{Upstreams: []UpstreamConfig{{
		Name: "u", URL: up.v1(), APIKey: "${RAMPART_TEST_UPSTREAM_KEY}",
		Headers: map[string]string{"OpenAI-Organization": "org-1"},
	}}})
	r := chat("m")
	r.Header = http.Header{
		"Authorization":       {"Bearer rk-caller"},
		"X-Api-Key":           {"rk-caller"},
		"Api-Key":             {"rk-caller"},
		"Cookie":              {"sid=1"},
		"Proxy-Authorization": {"Basic eA=="},
		"Connection":          {"keep-alive, X-Hop"},
		"X-Hop":               {"1"},
		"Keep-Alive":          {"timeout=5"},
		"Te":                  {"trailers"},
		"Upgrade":             {"websocket"},
		"Accept-Encoding":     {"br"},
		"Accept":              {"application/json"},
		"Openai-Beta":         {"assistants=v2"},
	}
	resp, _, err := forward(t, p, r)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := up.got()
	if v := got.Header.Get("Authorization"); v != "Bearer sk-upstream" {
		t.Errorf("Authorization upstream = %q", v)
	}
	for _, h := range []string{"X-Api-Key", "Api-Key", "Cookie", "Proxy-Authorization", "X-Hop", "Keep-Alive", "Upgrade"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("%s reached the upstream: %q", h, v)
		}
	}
	if got.Header.Get("Te") != "" && got.Header.Get("Te") != "trailers" {
		t.Errorf("Te = %q", got.Header.Get("Te"))
	}
	if v := got.Header.Get("Accept-Encoding"); v == "br" {
		t.Error("the caller's Accept-Encoding reached the upstream")
	}
	for h, want := range map[string]string{"Accept": "application/json", "Openai-Beta": "assistants=v2", "Openai-Organization": "org-1", "Content-Type": "application/json"} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	if r.Header.Get("Authorization") != "Bearer rk-caller" || r.Header.Get("X-Hop") != "1" {
		t.Error("Forward modified the caller's header map")
	}
	for _, h := range []string{"X-Conn-Only", "Keep-Alive", "Proxy-Authenticate", "Set-Cookie", "Connection"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("response header %s passed back: %q", h, v)
		}
	}
	if resp.Header.Get("X-Request-Id") != "up-1" {
		t.Error("an end-to-end response header was dropped")
	}
}

func TestNoKeyMeansNoAuthorization(t *testing.T) {
	up := newFake(t, nil)
	p := mustPool(t, Config{Upstreams: []UpstreamConfig{{Name: "ollama", URL: up.v1()}}})
	r := chat("m")
	r.Header = http.Header{"Authorization": {"Bearer rk-caller"}}
	if _, _, err := forward(t, p, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := up.got(); got.Header.Get("Authorization") != "" {
		t.Errorf("Authorization = %q", got.Header.Get("Authorization"))
	}
}

func TestCustomKeyHeader(t *testing.T) {
	up := newFake(t, nil)
	p := mustPool(t, Config{Upstreams: []UpstreamConfig{{Name: "u", URL: up.v1(), APIKey: "k1", APIKeyHeader: "x-goog-api-key"}}})
	if _, _, err := forward(t, p, chat("m")); err != nil {
		t.Fatal(err)
	}
	got, _ := up.got()
	if got.Header.Get("X-Goog-Api-Key") != "k1" || got.Header.Get("Authorization") != "" {
		t.Errorf("headers %v", got.Header)
	}
}

func TestAzureURLShapeAndHeader(t *testing.T) {
	up := newFake(t, nil)
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{{
			Name: "azure", Type: TypeAzure, URL: up.URL + "/", APIVersion: "2024-10-21", APIKey: "az-key",
			Deployments: map[string]string{"gpt-4o": "prod-gpt4o"},
		}},
		Routes: []RouteConfig{
			{Model: "gpt-4o", Aliases: []string{"smart"}, Upstreams: []string{"azure"}},
			{Model: "embed", Upstreams: []string{"azure"}, UpstreamModel: "text-embedding-3-small"},
		},
	})
	if _, _, err := forward(t, p, chat("smart")); err != nil {
		t.Fatal(err)
	}
	got, _ := up.got()
	if got.URL.Path != "/openai/deployments/prod-gpt4o/chat/completions" || got.URL.RawQuery != "api-version=2024-10-21" {
		t.Errorf("URL = %s", got.URL)
	}
	if got.Header.Get("Api-Key") != "az-key" || got.Header.Get("Authorization") != "" {
		t.Errorf("credential headers: api-key=%q authorization=%q", got.Header.Get("Api-Key"), got.Header.Get("Authorization"))
	}
	r := &Request{Model: "embed", Path: "/embeddings", Body: []byte(`{"model":"embed","input":"x"}`)}
	if _, _, err := forward(t, p, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := up.got(); got.URL.Path != "/openai/deployments/text-embedding-3-small/embeddings" {
		t.Errorf("deployment fallback URL = %s", got.URL)
	}
}
