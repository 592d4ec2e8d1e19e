// Package audit_test drives the built rampart binary to prove issue 6 end
// to end: every request and admin action is in the tamper-evident audit
// log, the gateway fails closed when nothing can record, no acknowledged
// request is lost to kill -9, and the anomaly responses and the kill switch
// work on a running server.
package audit_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rampart/internal/demo"
	"rampart/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// cliEnv keeps the developer's environment from leaking into the binary
// and names the operator the audit log records.
func cliEnv() []string { return harness.Env("USER=tester") }

// run runs a CLI command and returns stdout, stderr and the exit status.
func run(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	return harness.Run(t, cliEnv(), args...)
}

// rampart runs a CLI command that must succeed and returns its stdout.
func rampart(t testing.TB, args ...string) string {
	t.Helper()
	return harness.Rampart(t, cliEnv(), args...)
}

type createdKey = harness.Key

func createKey(t testing.TB, data string, args ...string) createdKey {
	t.Helper()
	return harness.CreateKey(t, cliEnv(), data, args...)
}

// gateway is a running `rampart serve`.
type gateway struct{ *harness.Gateway }

// startGateway runs `rampart serve` on a free port and waits until it is
// ready.
func startGateway(t testing.TB, data string, args ...string) *gateway {
	t.Helper()
	return &gateway{harness.Start(t, cliEnv(), append([]string{"--listen", "127.0.0.1:0", "--data", data}, args...)...)}
}

func (g *gateway) stop()  { g.Stop() }
func (g *gateway) kill9() { g.Kill9() }

var httpClient = &http.Client{Timeout: 30 * time.Second}

// post sends a request and returns status, headers and body.
func (g *gateway) post(t testing.TB, key string, body string, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (g *gateway) metrics(t *testing.T) string {
	t.Helper()
	resp, err := httpClient.Get(g.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func chat(text string) string {
	b, _ := json.Marshal(map[string]any{"model": "demo", "messages": []map[string]string{{"role": "user", "content": text}}})
	return string(b)
}

func errorCode(t testing.TB, body []byte) string { return harness.ErrorCode(t, body) }

// fakeUpstream starts the project's fake OpenAI-compatible upstream and
// returns its /v1 base URL.
func fakeUpstream(t testing.TB) string {
	return harness.FakeUpstream(t, &demo.Server{Name: "fake", Models: []string{"demo"}})
}

func writeFile(t testing.TB, dir, name, content string) string {
	return harness.WriteFile(t, dir, name, content)
}

// event is the part of an audit event the tests look at.
type event struct {
	Kind      string `json:"kind"`
	RequestID string `json:"request_id"`
	KeyID     string `json:"key_id"`
	ClientIP  string `json:"client_ip"`
	Model     string `json:"model"`
	Decision  string `json:"decision"`
	Status    int    `json:"status"`
	ErrorCode string `json:"error_code"`
	Rules     []string
	Findings  []struct {
		Type  string `json:"type"`
		Count int    `json:"count"`
	} `json:"findings"`
	PromptHMAC string `json:"prompt_hmac"`
	PromptText string `json:"prompt_text"`
	Actor      string `json:"actor"`
	Action     string `json:"action"`
	Target     string `json:"target"`
	Reason     string `json:"reason"`
}

type record struct {
	Type  string          `json:"type"`
	Seq   uint64          `json:"seq"`
	Event json.RawMessage `json:"event"`
	ev    event
}

// exportRecords runs `rampart audit export` and returns the file and the
// decoded records.
func exportRecords(t *testing.T, data string) (string, []record) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "export.jsonl")
	rampart(t, "audit", "export", "--data", data, "--out", file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var recs []record
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		if r.Type != "record" {
			continue
		}
		if err := json.Unmarshal(r.Event, &r.ev); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return file, recs
}

// byRequest indexes request-path events by request id.
func byRequest(recs []record) map[string][]event {
	m := map[string][]event{}
	for _, r := range recs {
		if r.ev.RequestID != "" {
			m[r.ev.RequestID] = append(m[r.ev.RequestID], r.ev)
		}
	}
	return m
}

// verify runs `rampart audit verify` with args and returns its output and
// exit status.
func verify(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, errs, code := run(t, append([]string{"audit", "verify"}, args...)...)
	return out + errs, code
}

// copyDir copies the regular files of a data directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// eventually polls cond every 20ms until it holds or the deadline passes,
// and returns how long it took.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
