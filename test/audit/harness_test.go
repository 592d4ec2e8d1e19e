// Package audit_test drives the built rampart binary to prove issue 6 end
// to end: every request and admin action is in the tamper-evident audit
// log, the gateway fails closed when nothing can record, no acknowledged
// request is lost to kill -9, and the anomaly responses and the kill switch
// work on a running server.
package audit_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rampart/internal/demo"
)

var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(0)
	}
	binPath = os.Getenv("RAMPART_BIN")
	if binPath != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "rampart-audit-test")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "rampart")
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", binPath, "./cmd/rampart")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build rampart:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliEnv keeps the developer's environment from leaking into the binary.
func cliEnv() []string {
	return append(os.Environ(), "RAMPART_CONFIG=", "RAMPART_POLICY=", "RAMPART_DATABASE=", "RAMPART_REDIS=", "RAMPART_DATA=", "USER=tester")
}

// run runs a CLI command and returns stdout, stderr and the exit status.
func run(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(binPath, args...)
	cmd.Env = cliEnv()
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("rampart %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// rampart runs a CLI command that must succeed and returns its stdout.
func rampart(t testing.TB, args ...string) string {
	t.Helper()
	out, errs, code := run(t, args...)
	if code != 0 {
		t.Fatalf("rampart %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

type createdKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

func createKey(t testing.TB, data string, args ...string) createdKey {
	t.Helper()
	out := rampart(t, append([]string{"keys", "create", "--data", data, "--json"}, args...)...)
	var k createdKey
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.ID == "" || k.Key == "" {
		t.Fatalf("keys create --json printed %q: %v", out, err)
	}
	return k
}

// gateway is a running `rampart serve`.
type gateway struct {
	t      testing.TB
	cmd    *exec.Cmd
	URL    string
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan error
}

func (g *gateway) Stderr() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stderr.String()
}

// startGateway runs `rampart serve` on a free port and waits until it is
// ready.
func startGateway(t testing.TB, data string, args ...string) *gateway {
	t.Helper()
	g := &gateway{t: t, exited: make(chan error, 1)}
	g.cmd = exec.Command(binPath, append([]string{"serve", "--listen", "127.0.0.1:0", "--data", data}, args...)...)
	g.cmd.Env = cliEnv()
	pr, pw := io.Pipe()
	g.cmd.Stderr = pw
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			g.mu.Lock()
			g.stderr.WriteString(line + "\n")
			g.mu.Unlock()
			if u, ok := strings.CutPrefix(line, "rampart listening on "); ok {
				ready <- u
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() { g.exited <- g.cmd.Wait(); pw.Close() }()
	select {
	case u := <-ready:
		g.URL = u
	case err := <-g.exited:
		t.Fatalf("rampart serve exited before it was ready: %v\n%s", err, g.Stderr())
	case <-time.After(60 * time.Second):
		_ = g.cmd.Process.Kill()
		t.Fatalf("rampart serve did not become ready\n%s", g.Stderr())
	}
	t.Cleanup(func() {
		g.stop()
		if t.Failed() {
			t.Logf("gateway stderr (tail):\n%s", tail(g.Stderr(), 4000))
		}
	})
	return g
}

// stop sends SIGTERM and waits for the process to exit.
func (g *gateway) stop() {
	if g.cmd.ProcessState != nil {
		return
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
	case <-time.After(30 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.exited
		g.t.Errorf("gateway did not stop on SIGTERM")
	}
}

// kill9 kills the process with SIGKILL and waits for it.
func (g *gateway) kill9() {
	_ = g.cmd.Process.Signal(syscall.SIGKILL)
	<-g.exited
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

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

// errorCode decodes an OpenAI-shaped error body.
func errorCode(t testing.TB, body []byte) string {
	t.Helper()
	var e struct {
		Error struct{ Message, Type, Code string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an OpenAI error body: %s", body)
	}
	return e.Error.Code
}

// fakeUpstream starts the project's fake OpenAI-compatible upstream and
// returns its /v1 base URL.
func fakeUpstream(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(&demo.Server{Name: "fake", Models: []string{"demo"}})
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
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
