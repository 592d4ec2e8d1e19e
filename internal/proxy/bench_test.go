package proxy

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// benchBody is a 1 KB chat request.
var benchBody = func() []byte {
	content := strings.Repeat("x", 1024-len(`{"model":"m","messages":[{"role":"user","content":""}]}`))
	return []byte(`{"model":"m","messages":[{"role":"user","content":"` + content + `"}]}`)
}()

const benchAnswer = `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}`

func benchUpstream(b *testing.B) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, benchAnswer)
	}))
	b.Cleanup(s.Close)
	return s
}

// BenchmarkForward: Pool.Forward plus relaying the body, as the gateway does.
func BenchmarkForward(b *testing.B) {
	s := benchUpstream(b)
	p, err := New(Single(s.URL+"/v1", "sk-bench"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer rk-caller"}}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		resp, err := p.Forward(ctx, &Request{Model: "m", Path: "/chat/completions", Body: benchBody, Header: hdr})
		if err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		for k, vs := range resp.Header {
			rec.Header()[k] = vs
		}
		rec.WriteHeader(resp.StatusCode)
		io.Copy(rec, resp.Body)
		resp.Body.Close()
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkReverseProxy is the baseline: a bare httputil.ReverseProxy with
// a Rewrite that injects the credential.
func BenchmarkReverseProxy(b *testing.B) {
	s := benchUpstream(b)
	target, _ := url.Parse(s.URL + "/v1")
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set("Authorization", "Bearer sk-bench")
		},
		Transport: &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 64},
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/chat/completions", bytes.NewReader(benchBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer rk-caller")
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkForwardAlias adds the body rewrite of an aliased model.
func BenchmarkForwardAlias(b *testing.B) {
	s := benchUpstream(b)
	p, err := New(Config{
		Upstreams: []UpstreamConfig{{Name: "u", URL: s.URL + "/v1"}},
		Routes:    []RouteConfig{{Model: "big", Aliases: []string{"m"}, Upstreams: []string{"u"}}},
	}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := p.Forward(ctx, &Request{Model: "m", Path: "/chat/completions", Body: benchBody})
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
