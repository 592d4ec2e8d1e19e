// Package harness runs the built rampart binary for end-to-end tests: the
// CLI as an operator runs it, and `rampart serve` as a process the tests
// talk to over HTTP.
package harness

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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

var bin string

// Main builds bin/rampart (unless RAMPART_BIN names a built one), runs the
// tests and exits. Under -short the end-to-end tests are skipped.
func Main(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(0)
	}
	bin = os.Getenv("RAMPART_BIN")
	if bin != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "rampart-bin")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "rampart")
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/rampart")
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

// Bin is the path of the binary under test.
func Bin() string { return bin }

// Env is the test process's environment with every RAMPART_* setting
// cleared (so a developer's shell cannot leak into a test), plus extra.
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAMPART_") || strings.HasPrefix(kv, "RAMPART_BIN=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Run runs a CLI command and returns its stdout, stderr and exit status.
func Run(t testing.TB, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	if cmd.Env == nil {
		cmd.Env = Env()
	}
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("rampart %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// Rampart runs a CLI command that must succeed and returns its stdout.
func Rampart(t testing.TB, env []string, args ...string) string {
	t.Helper()
	out, errs, code := Run(t, env, args...)
	if code != 0 {
		t.Fatalf("rampart %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// Key is what `rampart keys create --json` prints.
type Key struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

// CreateKey runs `rampart keys create --data DATA --json ARGS…`.
func CreateKey(t testing.TB, env []string, data string, args ...string) Key {
	t.Helper()
	out := Rampart(t, env, append([]string{"keys", "create", "--data", data, "--json"}, args...)...)
	var k Key
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &k); err != nil || k.ID == "" || k.Key == "" {
		t.Fatalf("keys create --json printed %q: %v", out, err)
	}
	return k
}

// Gateway is a running `rampart serve`.
type Gateway struct {
	URL string

	t       testing.TB
	cmd     *exec.Cmd
	mu      sync.Mutex
	stderr  bytes.Buffer
	demoKey string
	exited  chan error
	waitErr error
	done    bool
}

// Start runs `rampart serve ARGS…` (ARGS should include --listen
// 127.0.0.1:0 and --data) and waits for its ready line. The process gets
// SIGTERM when the test ends.
func Start(t testing.TB, env []string, args ...string) *Gateway {
	t.Helper()
	g := &Gateway{t: t, exited: make(chan error, 1)}
	g.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	g.cmd.Env = env
	if g.cmd.Env == nil {
		g.cmd.Env = Env()
	}
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
			if k, ok := strings.CutPrefix(line, "demo key: "); ok {
				g.demoKey = k
			}
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
		g.Stop()
		if t.Failed() {
			t.Logf("gateway %s stderr (tail):\n%s", g.URL, tail(g.Stderr(), 6000))
		}
	})
	return g
}

// Stderr is everything the process printed on stderr so far.
func (g *Gateway) Stderr() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stderr.String()
}

// DemoKey is the key printed by --demo.
func (g *Gateway) DemoKey() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.demoKey
}

// Signal sends sig to the process.
func (g *Gateway) Signal(sig os.Signal) error { return g.cmd.Process.Signal(sig) }

// Wait waits up to d for the process to exit and returns its exit error;
// it fails the test if the process is still running.
func (g *Gateway) Wait(d time.Duration) error {
	if g.done {
		return g.waitErr
	}
	select {
	case err := <-g.exited:
		g.done, g.waitErr = true, err
		return err
	case <-time.After(d):
		g.t.Fatalf("gateway still running after %s", d)
		return nil
	}
}

// Stop sends SIGTERM and waits for the process to exit.
func (g *Gateway) Stop() {
	if g.done {
		return
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-g.exited:
		g.done, g.waitErr = true, err
	case <-time.After(30 * time.Second):
		_ = g.cmd.Process.Kill()
		g.waitErr = <-g.exited
		g.done = true
		g.t.Errorf("gateway did not stop on SIGTERM")
	}
}

// Kill9 kills the process with SIGKILL and waits for it.
func (g *Gateway) Kill9() {
	if g.done {
		return
	}
	_ = g.cmd.Process.Signal(syscall.SIGKILL)
	g.waitErr = <-g.exited
	g.done = true
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// FakeUpstream starts the project's fake OpenAI-compatible upstream and
// returns its /v1 base URL.
func FakeUpstream(t testing.TB, s *demo.Server) string {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// ErrorCode decodes an OpenAI-shaped error body and returns its code; it
// fails the test when the body is not one.
func ErrorCode(t testing.TB, body []byte) string {
	t.Helper()
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("not an OpenAI error body: %s", body)
	}
	return e.Error.Code
}

// WriteFile writes content to dir/name (mode 0600) and returns the path.
func WriteFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
