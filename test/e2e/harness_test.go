// Package e2e drives the built rampart binary as an operator and a client
// would: the CLI to manage keys, and the official OpenAI Go SDK against
// the gateway in front of the project's own fake upstream.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
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

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"rampart/internal/demo"
)

var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(0)
	}
	binPath = os.Getenv("RAMPART_BIN")
	if binPath == "" {
		dir, err := os.MkdirTemp("", "rampart-e2e")
		if err != nil {
			panic(err)
		}
		binPath = filepath.Join(dir, "rampart")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/rampart")
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build rampart:", err)
			os.Exit(1)
		}
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// rampart runs a CLI command and returns its stdout.
func rampart(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(binPath, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("rampart %s: %v\nstderr: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

type createdKey struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

func createKey(t *testing.T, data string, args ...string) createdKey {
	t.Helper()
	out := rampart(t, append([]string{"keys", "create", "--data", data, "--json"}, args...)...)
	var k createdKey
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &k); err != nil {
		t.Fatalf("keys create --json printed %q: %v", out, err)
	}
	if k.ID == "" || k.Key == "" {
		t.Fatalf("keys create --json: missing id or key in %q", out)
	}
	return k
}

// gateway is a running `rampart serve`.
type gateway struct {
	t       *testing.T
	cmd     *exec.Cmd
	URL     string
	Data    string
	DemoKey string
	mu      sync.Mutex
	stderr  bytes.Buffer
	exited  chan error
}

func (g *gateway) Stderr() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stderr.String()
}

// startGateway runs `rampart serve` on a free port with args and waits for
// its ready line.
func startGateway(t *testing.T, data string, args ...string) *gateway {
	t.Helper()
	g := &gateway{t: t, Data: data, exited: make(chan error, 1)}
	all := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", data}, args...)
	g.cmd = exec.Command(binPath, all...)
	g.cmd.Env = append(os.Environ(), "RAMPART_CONFIG=", "RAMPART_POLICY=")
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
			if k, ok := strings.CutPrefix(line, "demo key: "); ok {
				g.mu.Lock()
				g.DemoKey = k
				g.mu.Unlock()
			}
			if u, ok := strings.CutPrefix(line, "rampart listening on "); ok {
				ready <- u
			}
		}
	}()
	go func() { g.exited <- g.cmd.Wait(); pw.Close() }()
	select {
	case u := <-ready:
		g.URL = u
	case err := <-g.exited:
		t.Fatalf("rampart serve exited before it was ready: %v\n%s", err, g.Stderr())
	case <-time.After(60 * time.Second):
		g.cmd.Process.Kill()
		t.Fatalf("rampart serve did not become ready\n%s", g.Stderr())
	}
	t.Cleanup(func() {
		if g.cmd.ProcessState == nil {
			_ = g.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-g.exited:
			case <-time.After(20 * time.Second):
				_ = g.cmd.Process.Kill()
			}
		}
		if t.Failed() {
			t.Logf("gateway stderr:\n%s", g.Stderr())
		}
	})
	return g
}

func (g *gateway) client(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(g.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

// post sends a raw request and returns status, headers and body.
func (g *gateway) post(t *testing.T, path, key string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// fakeUpstream starts the project's fake OpenAI-compatible upstream.
func fakeUpstream(t *testing.T, s *demo.Server) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, srv.URL + "/v1"
}

// errorCode decodes an OpenAI-shaped error body.
func errorCode(t *testing.T, body []byte) string {
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
