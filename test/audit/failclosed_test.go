package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rampart/internal/demo"
)

// TestFailClosed: a request that cannot be recorded is not served. A
// required webhook sink that is down, and a primary SQLite store another
// process holds locked, both turn requests into 503 audit_unavailable;
// service resumes when they recover.
//
// With audit.strict_order the request event is durable before anything is
// forwarded, so a refused request never reaches the upstream. By default
// it commits while the upstream works: the first request after the
// failure may reach the upstream (its answer is withheld), and from then
// on, while the log knows its store is failing, requests are refused
// before they are forwarded.
func TestFailClosed(t *testing.T) {
	t.Run("strict_order", func(t *testing.T) { failClosed(t, true) })
	t.Run("default", func(t *testing.T) { failClosed(t, false) })
}

func failClosed(t *testing.T, strict bool) {
	var siemDown atomic.Bool
	var siemRecords atomic.Int64
	siem := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if siemDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		siemRecords.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer siem.Close()
	up := &demo.Server{Name: "fake", Models: []string{"demo"}}
	upSrv := httptest.NewServer(up)
	defer upSrv.Close()

	data := t.TempDir()
	cfg := writeFile(t, t.TempDir(), "rampart.yaml", fmt.Sprintf(`
audit:
  timeout: 1s
  strict_order: %t
  sinks:
    - {type: webhook, url: %q, required: true, max_retries: 1, request_timeout: 1s}
`, strict, siem.URL))
	k := createKey(t, data, "--name", "app")
	g := startGateway(t, data, "--config", cfg, "--upstream", upSrv.URL+"/v1")

	// served sends one request. first: the first request after a failure
	// began; in the default order it may reach the upstream.
	served := func(id string, first bool) (int, string) {
		before := up.Requests.Load()
		st, _, body := g.post(t, k.Key, chat("hello "+id), map[string]string{"X-Request-Id": id})
		code := ""
		if st != 200 {
			code = errorCode(t, body)
			if n := up.Requests.Load() - before; n != 0 && (strict || !first) {
				t.Errorf("%s: refused with %d but the upstream saw %d request(s)", id, st, n)
			}
		}
		return st, code
	}
	if st, code := served("fc-ok-1", false); st != 200 {
		t.Fatalf("with every sink up: %d %s", st, code)
	}
	if siemRecords.Load() == 0 {
		t.Fatal("the required webhook got nothing")
	}

	// The required copy fails.
	siemDown.Store(true)
	if st, code := served("fc-siem-down", true); st != 503 || code != "audit_unavailable" {
		t.Fatalf("required sink down: %d %s, want 503 audit_unavailable", st, code)
	}
	if st, code := served("fc-siem-down-2", false); st != 503 || code != "audit_unavailable" {
		t.Fatalf("required sink still down: %d %s, want 503 audit_unavailable", st, code)
	}
	siemDown.Store(false)
	if st, code := served("fc-ok-2", false); st != 200 {
		t.Fatalf("after the sink recovered: %d %s", st, code)
	}

	// The primary store cannot be written: another connection holds
	// SQLite's write lock longer than audit.timeout.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "audit.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if st, code := served("fc-store-locked", true); st != 503 || code != "audit_unavailable" {
		t.Fatalf("primary store locked: %d %s, want 503 audit_unavailable", st, code)
	}
	if st, code := served("fc-store-locked-2", false); st != 503 || code != "audit_unavailable" {
		t.Fatalf("primary store still locked: %d %s, want 503 audit_unavailable", st, code)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	eventually(t, 20*time.Second, "service after the store was released", func() bool {
		st, _ := served(fmt.Sprintf("fc-ok-3-%d", time.Now().UnixNano()), false)
		return st == 200
	})
	m := g.metrics(t)
	if !metricAtLeast(m, "rampart_audit_failures_total", 4) || !metricAtLeast(m, "rampart_audit_record_errors_total", 4) || !metricAtLeast(m, "rampart_audit_records_total", 4) {
		t.Errorf("audit metrics:\n%s", grepLines(m, "rampart_audit"))
	}
	g.stop()

	// The chain is intact, and the requests that were served are in it.
	_, recs := exportRecords(t, data)
	if out, code := verify(t, "--data", data); code != 0 {
		t.Fatalf("verify: %s", out)
	}
	reqs := byRequest(recs)
	for _, id := range []string{"fc-ok-1", "fc-ok-2"} {
		if evs := reqs[id]; len(evs) != 2 || evs[1].Status != 200 {
			t.Errorf("%s: events %+v", id, evs)
		}
	}
}

// TestStoreFailsWhileForwarding: in the default order the request event
// commits while the upstream works. When that commit fails (here: the
// store is locked between forwarding and the upstream's answer, and
// max_defer holds the event until the answer is there), the client gets
// 503 audit_unavailable and nothing of the answer, plain or streamed.
func TestStoreFailsWhileForwarding(t *testing.T) {
	data := t.TempDir()
	lock := make(chan struct{})   // the upstream saw the request: lock the store
	locked := make(chan struct{}) // the store is locked: answer
	up := &demo.Server{Name: "fake", Models: []string{"demo"}}
	upSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lock <- struct{}{}
		<-locked
		up.ServeHTTP(w, r)
	}))
	defer upSrv.Close()
	cfg := writeFile(t, t.TempDir(), "rampart.yaml", "audit: {timeout: 1s, group_commit: {max_defer: 1s}}\n")
	k := createKey(t, data, "--name", "app")
	g := startGateway(t, data, "--config", cfg, "--upstream", upSrv.URL+"/v1")

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "audit.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stream := range []bool{false, true} {
		id := fmt.Sprintf("sf-stream-%t", stream)
		body := fmt.Sprintf(`{"model":"demo","stream":%t,"messages":[{"role":"user","content":"hello"}]}`, stream)
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			<-lock
			if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
				t.Error(err)
			}
			close(locked)
		}()
		st, hdr, got := g.post(t, k.Key, body, map[string]string{"X-Request-Id": id})
		if st != 503 || errorCode(t, got) != "audit_unavailable" || strings.Contains(string(got), "data:") || strings.Contains(hdr.Get("Content-Type"), "event-stream") {
			t.Errorf("%s: %d %s %q, want 503 audit_unavailable and no answer", id, st, hdr.Get("Content-Type"), got)
		}
		if up.Requests.Load() == 0 {
			t.Errorf("%s: the upstream never saw the request", id)
		}
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		locked = make(chan struct{})
		// The log knows the store failed: the next request is recorded
		// before it is forwarded, and served.
		go func() { <-lock; close(locked) }()
		if st, _, got := g.post(t, k.Key, chat("after "+id), map[string]string{"X-Request-Id": "after-" + id}); st != 200 {
			t.Fatalf("after the store was released: %d %s", st, got)
		}
		locked = make(chan struct{})
	}
	g.stop()
	if out, code := verify(t, "--data", data); code != 0 {
		t.Fatalf("verify: %s", out)
	}
	_, recs := exportRecords(t, data)
	reqs := byRequest(recs)
	for _, id := range []string{"sf-stream-false", "sf-stream-true"} {
		for _, ev := range reqs[id] {
			if ev.Status == 200 {
				t.Errorf("%s: the log says 200 for a request answered 503: %+v", id, reqs[id])
			}
		}
		if evs := reqs["after-"+id]; len(evs) != 2 || evs[1].Status != 200 {
			t.Errorf("after-%s: events %+v", id, evs)
		}
	}
}

// metricAtLeast reports whether the unlabelled sample name is >= min.
func metricAtLeast(text, name string, min float64) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f >= min
		}
	}
	return false
}

// metricValue returns the value of the sample with exactly this name and
// labels (e.g. `x_total{rule="a"}`), or -1.
func metricValue(text, sample string) float64 {
	for line := range strings.SplitSeq(text, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return -1
}

func grepLines(text, sub string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, sub) && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestKill9LosesNoAcknowledgedRequest kills the gateway with SIGKILL in
// the middle of concurrent load: every request the client saw answered
// 200 has its request and response events after a restart, and the chain
// verifies. It runs with the default durability (audit.sync: normal,
// which survives a process crash) and with audit.sync: full.
func TestKill9LosesNoAcknowledgedRequest(t *testing.T) {
	for _, mode := range []string{"", "full"} {
		name := "sync=" + mode
		if mode == "" {
			name = "sync=default"
		}
		t.Run(name, func(t *testing.T) { kill9(t, mode) })
	}
}

func kill9(t *testing.T, syncMode string) {
	data := t.TempDir()
	args := []string{"--upstream", fakeUpstream(t)}
	if syncMode != "" {
		args = append(args, "--config", writeFile(t, t.TempDir(), "rampart.yaml", "audit: {sync: "+syncMode+"}\n"))
	}
	k := createKey(t, data, "--name", "load")
	g := startGateway(t, data, args...)

	var mu sync.Mutex
	var acked []string
	other := map[string]int{} // refusals, by status and body
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	// One prompt for all: numbered prompts would (rightly) trip the
	// extraction-enumeration detector, which throttles the key.
	prompt := chat("Summarize the quarterly report in three sentences.")
	for range 12 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(prompt))
				req.Header.Set("Authorization", "Bearer "+k.Key)
				req.Header.Set("Content-Type", "application/json")
				sent.Add(1)
				resp, err := client.Do(req)
				if err != nil {
					return // the gateway is gone
				}
				// Acknowledged means the client received the 200 answer.
				body, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					mu.Lock()
					other[fmt.Sprintf("%d %.80s", resp.StatusCode, body)]++
					mu.Unlock()
				}
				if resp.StatusCode == 200 && rerr == nil {
					mu.Lock()
					acked = append(acked, resp.Header.Get("X-Request-Id"))
					mu.Unlock()
				}
			}
		})
	}
	// Kill once enough requests were acknowledged (or after a while on a
	// very slow machine). Halfway, verify the live chain while the gateway
	// appends to it: the verifier reads one consistent snapshot.
	deadline := time.Now().Add(20 * time.Second)
	verifiedLive := false
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 400 {
			break
		}
		if n >= 150 && !verifiedLive {
			verifiedLive = true
			if out, code := verify(t, "--data", data); code != 0 || !strings.HasPrefix(out, "ok ") {
				t.Errorf("verify of the live log under load: exit %d: %q", code, out)
			}
			continue
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.kill9()
	close(stop)
	wg.Wait()
	mu.Lock()
	ids := append([]string(nil), acked...)
	mu.Unlock()
	if len(ids) < 50 {
		t.Fatalf("only %d requests acknowledged before the kill; other answers: %v", len(ids), other)
	}

	// Restart on the same data: the log reopens and keeps appending.
	g2 := startGateway(t, data, args...)
	if st, _, body := g2.post(t, k.Key, chat("after restart"), map[string]string{"X-Request-Id": "after-restart"}); st != 200 {
		t.Fatalf("after restart: %d %s", st, body)
	}
	g2.stop()

	out, code := verify(t, "--data", data)
	if code != 0 {
		t.Fatalf("verify after kill -9: %s", out)
	}
	_, recs := exportRecords(t, data)
	reqs := byRequest(recs)
	missing := 0
	for _, id := range ids {
		evs := reqs[id]
		if len(evs) != 2 || evs[0].Kind != "request" || evs[1].Kind != "response" || evs[1].Status != 200 {
			if missing++; missing <= 5 {
				t.Errorf("acknowledged request %s: events %+v", id, evs)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged requests lack their audit events", missing, len(ids))
	}
	if len(reqs["after-restart"]) != 2 {
		t.Errorf("request after restart not recorded")
	}
	t.Logf("%d sent, %d acknowledged before SIGKILL, all recorded; %s; other answers: %v", sent.Load(), len(ids), strings.TrimSpace(out), other)
}
