// Package limits drives built `rampart serve` processes to check that
// limits, quotas and budgets hold end to end (docs/limits.md): several
// gateways sharing one Redis, token budgets that settle exactly, streams
// cut at their budget, Redis outages, the x-ratelimit-* headers, trusted
// proxies and extraction caps.
package limits

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"rampart/internal/demo"
	"rampart/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// sharedRedis is the machine's Redis, which other test runs use too:
// tests only touch keys under their own prefix.
func sharedRedis(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("RAMPART_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis at %s is required in CI: %v", addr, err)
		}
		t.Skipf("Redis at %s unreachable: %v", addr, err)
	}
	return addr
}

// prefix returns a Redis key prefix unique to this test run and deletes
// its keys at the end.
func prefix(t testing.TB, addr string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	p := "rampart-limits-test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "{"+p+"}:*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return p
}

type key = harness.Key

// createKey runs `rampart keys create --json` with args (--rpm, --tpm, --tenant…).
func createKey(t testing.TB, data string, args ...string) key {
	t.Helper()
	var name [4]byte
	_, _ = rand.Read(name[:])
	return harness.CreateKey(t, nil, data, append([]string{"--name", "k" + hex.EncodeToString(name[:])}, args...)...)
}

// upstream starts the fake OpenAI upstream; it returns its /v1 base URL.
func upstream(t testing.TB, s *demo.Server) string {
	t.Helper()
	return harness.FakeUpstream(t, s)
}

// writeConfig writes a gateway config file: the YAML given, with the
// audit log off (three processes share one data directory, and the
// limits are what is under test).
func writeConfig(t testing.TB, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rampart.yaml")
	if err := os.WriteFile(p, []byte("audit: {disabled: true}\n"+yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// gateway is a running `rampart serve`.
type gateway struct{ *harness.Gateway }

// shadowPolicy runs the guardrails without enforcing them: the limits
// are under test here, not the detectors' verdicts on the test prompts.
const shadowPolicy = "version: 1\nmode: shadow\n"

// startGateway runs `rampart serve --listen 127.0.0.1:0 --data data` with
// the shadow policy and args, and waits for its ready line; it is stopped
// with SIGTERM at the end of the test. Keys must exist before it starts.
func startGateway(t testing.TB, data string, args ...string) *gateway {
	t.Helper()
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte(shadowPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	env := harness.Env()
	return &gateway{harness.Start(t, env, append([]string{"--listen", "127.0.0.1:0", "--data", data, "--policy", pol}, args...)...)}
}

// result is one HTTP answer.
type result struct {
	Status int
	Header http.Header
	Body   []byte
}

// apiError decodes an OpenAI error body; Code is "" when it is none.
func (r *result) apiError() (code, msg string) {
	var e struct {
		Error struct {
			Message, Type, Code string
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code, e.Error.Message
}

// usage decodes the usage of a plain (non-streamed) answer.
func (r *result) usage(t testing.TB) int64 {
	t.Helper()
	var v struct {
		Usage *struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(r.Body, &v); err != nil || v.Usage == nil {
		t.Fatalf("no usage in answer %d %s", r.Status, r.Body)
	}
	return v.Usage.PromptTokens + v.Usage.CompletionTokens
}

var defaultClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}

// post sends body (a JSON-encodable value) to path with key and headers.
func post(t testing.TB, c *http.Client, url, key string, body any, hdr ...string) *result {
	t.Helper()
	r, err := tryPost(c, url, key, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func tryPost(c *http.Client, url, key string, body any, hdr ...string) (*result, error) {
	if c == nil {
		c = defaultClient
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &result{Status: resp.StatusCode, Header: resp.Header, Body: rb}, nil
}

// chat is a chat completion request body saying text.
func chat(model, text string, extra ...any) map[string]any {
	m := map[string]any{"model": model, "messages": []map[string]string{{"role": "user", "content": text}}}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

// sseEvents splits a streamed answer into its data payloads.
func sseEvents(body []byte) []string {
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

// streamed decodes a streamed chat answer: the text, the usage total
// (-1 when absent) and the error event's code ("" when none). It fails
// the test unless the stream ends with data: [DONE].
func streamed(t testing.TB, r *result) (text string, usage int64, errCode string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("stream answered %d %s", r.Status, r.Body)
	}
	ev := sseEvents(r.Body)
	if len(ev) == 0 || ev[len(ev)-1] != "[DONE]" {
		t.Fatalf("stream does not end with data: [DONE]:\n%s", r.Body)
	}
	usage = -1
	var b strings.Builder
	for _, e := range ev[:len(ev)-1] {
		var c struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
			Usage *struct {
				TotalTokens int64 `json:"total_tokens"`
			} `json:"usage"`
			Error *struct{ Code string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(e), &c); err != nil {
			t.Fatalf("bad event %q: %v", e, err)
		}
		if c.Error != nil {
			errCode = c.Error.Code
		}
		if c.Usage != nil {
			usage = c.Usage.TotalTokens
		}
		for _, ch := range c.Choices {
			b.WriteString(ch.Delta.Content)
		}
	}
	return b.String(), usage, errCode
}

// clientFrom is an HTTP client whose connections come from the local
// address ip (any 127.0.0.0/8 address works on loopback).
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 60 * time.Second}
}

// freePort returns a TCP port free on 127.0.0.1 right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func netDial(port int) (net.Conn, error) {
	return net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
}
