package limits

import (
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"rampart/internal/demo"
	"rampart/internal/tokens"
)

// words returns n distinct plain words, so the answer to "!say "+words
// is long and guardrail-neutral.
func words(n int) string {
	base := strings.Fields("the quick brown fox jumps over the lazy dog and runs far away")
	out := make([]string, n)
	for i := range out {
		out[i] = base[i%len(base)]
	}
	return strings.Join(out, " ")
}

// promptEstimate is the gateway's estimate of a one-message chat prompt
// (before max_tokens), checked end to end in TestTokenBudgetsSettle.
func promptEstimate(text string) int64 { return tokens.Estimate(len(text)) + tokens.ChatOverhead(1) }

// header returns h[name] as an integer, failing when it is absent.
func header(t *testing.T, r *result, name string) int64 {
	t.Helper()
	v := r.Header.Get(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s = %q on a %d answer, want an integer; headers %v", name, v, r.Status, r.Header)
	}
	return n
}

// TestSharedRedisExactAdmission: three gateway processes sharing one
// Redis and one key store admit exactly a key's rpm under 500 concurrent
// requests spread across them.
func TestSharedRedisExactAdmission(t *testing.T) {
	addr := sharedRedis(t)
	pfx := prefix(t, addr)
	data := t.TempDir()
	const rpm, total = 10, 500
	k := createKey(t, data, "--rpm", strconv.Itoa(rpm))
	up := &demo.Server{Name: "fake"}
	upURL := upstream(t, up)
	cfg := writeConfig(t, "limits:\n  redis_key_prefix: "+pfx+"\n")
	var gws [3]*gateway
	for i := range gws {
		gws[i] = startGateway(t, data, "--config", cfg, "--redis", "redis://"+addr+"/0", "--upstream", upURL)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: total}, Timeout: 60 * time.Second}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ok, lim int
		other   []string
	)
	start := make(chan struct{})
	for i := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := tryPost(client, gws[i%len(gws)].URL+"/v1/chat/completions", k.Key, chat("demo", "!say hi", "max_tokens", 4))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				other = append(other, err.Error())
			case r.Status == http.StatusOK:
				ok++
			case r.Status == http.StatusTooManyRequests:
				lim++
				code, _ := r.apiError()
				ra, _ := strconv.Atoi(r.Header.Get("Retry-After"))
				if code != "rate_limit_exceeded" || ra < 1 || r.Header.Get("x-ratelimit-limit-requests") != strconv.Itoa(rpm) || r.Header.Get("x-ratelimit-remaining-requests") != "0" {
					other = append(other, fmt.Sprintf("429 code %q Retry-After %q headers %v", code, r.Header.Get("Retry-After"), r.Header))
				}
			default:
				other = append(other, fmt.Sprintf("%d %s", r.Status, r.Body))
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	if len(other) > 0 {
		t.Fatalf("%d unexpected answers, first: %s", len(other), other[0])
	}
	// One request comes back every 60s/rpm; the burst normally ends long
	// before, but a very slow machine may see refills.
	refills := int(elapsed / (time.Minute / rpm))
	if ok < rpm || ok > rpm+refills || ok+lim != total {
		t.Fatalf("admitted %d and refused %d of %d in %v, want exactly %d admitted (+%d refills)", ok, lim, total, elapsed, rpm, refills)
	}
	if got := up.Requests.Load(); got != int64(ok) {
		t.Fatalf("upstream saw %d requests, want %d", got, ok)
	}
	t.Logf("3 gateways, %d concurrent requests: %d admitted, %d refused in %v", total, ok, lim, elapsed)
}

// TestTokenBudgetsSettle: after plain and streamed answers (within and
// beyond their estimate), the remaining tokens per minute (key --tpm) and
// the remaining daily budget (tenant, from the config) are the limits
// minus the real usage the upstream reported, in memory and across two
// gateways sharing Redis.
func TestTokenBudgetsSettle(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			const tpm, daily = 600, 400
			data := t.TempDir()
			up := &demo.Server{Name: "fake"}
			upURL := upstream(t, up)
			yaml := fmt.Sprintf("limits:\n  tenant_default: {daily_tokens: %d}\n", daily)
			args := []string{"--upstream", upURL}
			n := 1
			if backend == "redis" {
				addr := sharedRedis(t)
				yaml += "  redis_key_prefix: " + prefix(t, addr) + "\n"
				args = append(args, "--redis", "redis://"+addr+"/0")
				n = 2
			}
			args = append(args, "--config", writeConfig(t, yaml))
			k := createKey(t, data, "--tpm", strconv.Itoa(tpm), "--tenant", "t-"+backend)
			var gws []*gateway
			for range n {
				gws = append(gws, startGateway(t, data, args...))
			}
			gw := func(i int) string { return gws[i%len(gws)].URL + "/v1/chat/completions" }

			began := time.Now()
			var used int64
			// 1. plain, within its estimate.
			r := post(t, nil, gw(0), k.Key, chat("demo", "!say one two three four five", "max_tokens", 16))
			if r.Status != http.StatusOK {
				t.Fatalf("plain: %d %s", r.Status, r.Body)
			}
			est := promptEstimate("!say one two three four five") + 16
			if rem := header(t, r, "x-ratelimit-remaining-tokens"); rem != tpm-est {
				t.Fatalf("first answer: remaining tokens %d, want %d − estimate %d", rem, tpm, est)
			}
			used += r.usage(t)
			// 2. streamed, within its estimate.
			r = post(t, nil, gw(1), k.Key, chat("demo", "!say six seven eight nine", "max_tokens", 16, "stream", true,
				"stream_options", map[string]any{"include_usage": true}))
			_, u, code := streamed(t, r)
			if u < 0 || code != "" {
				t.Fatalf("stream: usage %d, error %q", u, code)
			}
			used += u
			// 3. streamed with no max_tokens: every completion token is
			// beyond the estimate and charged as it flows, then settled.
			r = post(t, nil, gw(2), k.Key, chat("demo", "!say "+words(40), "stream", true,
				"stream_options", map[string]any{"include_usage": true}))
			text, u, code := streamed(t, r)
			if u < 0 || code != "" || text != words(40) {
				t.Fatalf("long stream: usage %d, error %q, text %q", u, code, text)
			}
			used += u
			// 4. plain, beyond its estimate (the answer is longer than max_tokens
			// lets the demo count, but usage is what counts).
			r = post(t, nil, gw(3), k.Key, chat("demo", "!say "+words(12)))
			if r.Status != http.StatusOK {
				t.Fatalf("plain: %d %s", r.Status, r.Body)
			}
			used += r.usage(t)

			// A request refused before admission charges nothing and
			// reports the bucket: tpm − real usage, plus what refilled
			// meanwhile (tpm/60 tokens a second).
			r = post(t, nil, gw(0), k.Key, map[string]any{"model": "demo"}) // no messages
			refill := int64(time.Since(began).Seconds()*tpm/60) + 1
			if r.Status != http.StatusBadRequest {
				t.Fatalf("request without messages: %d %s", r.Status, r.Body)
			}
			rem := header(t, r, "x-ratelimit-remaining-tokens")
			if want := tpm - used; rem < want || rem > want+refill {
				t.Fatalf("after %d tokens of real usage: remaining tokens %d, want %d (+ refill ≤ %d)", used, rem, want, refill)
			}

			// The daily budget does not refill: a request estimated at
			// exactly what is left passes, one token more is refused.
			probe := "!say ok"
			left := daily - used
			maxTok := left - promptEstimate(probe)
			r = post(t, nil, gw(1), k.Key, chat("demo", probe, "max_tokens", maxTok+1))
			if code, _ := r.apiError(); r.Status != http.StatusTooManyRequests || code != "quota_exceeded" {
				t.Fatalf("estimate %d with %d of the daily budget left: %d %s, want 429 quota_exceeded", left+1, left, r.Status, r.Body)
			}
			r = post(t, nil, gw(0), k.Key, chat("demo", probe, "max_tokens", maxTok))
			if r.Status != http.StatusOK {
				t.Fatalf("estimate %d with %d of the daily budget left: %d %s, want 200", left, left, r.Status, r.Body)
			}
			t.Logf("%s: %d tokens used over 4 answers; %d of %d tokens/min and %d of %d daily left", backend, used, rem, tpm, left, daily)
		})
	}
}

// TestStreamCutAtBudget: a streamed answer larger than what is left of a
// budget ends with an error event carrying the budget's code, then
// data: [DONE]; the next request is refused. The answer is longer than
// the output guardrails' holdback (8 KiB), so text flows before the cut.
func TestStreamCutAtBudget(t *testing.T) {
	full := words(3000)
	prompt := "!say " + full
	pe := promptEstimate(prompt)
	const left = 200 // tokens left for the answer
	cases := []struct {
		name, code string
		redis      bool
		yaml       string
		keyArgs    []string
	}{
		{name: "daily tokens in memory", code: "quota_exceeded",
			yaml: fmt.Sprintf("limits:\n  tenants:\n    cut: {daily_tokens: %d}\n", pe+left), keyArgs: []string{"--tenant", "cut"}},
		{name: "tpm through redis", code: "rate_limit_exceeded", redis: true,
			yaml: "limits:\n", keyArgs: []string{"--tpm", strconv.FormatInt(pe+left, 10)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			up := &demo.Server{Name: "fake", ChunkSize: 8}
			args := []string{"--upstream", upstream(t, up)}
			yaml := c.yaml
			if c.redis {
				addr := sharedRedis(t)
				yaml += "  redis_key_prefix: " + prefix(t, addr) + "\n"
				args = append(args, "--redis", "redis://"+addr+"/0")
			}
			k := createKey(t, data, c.keyArgs...)
			g := startGateway(t, data, append(args, "--config", writeConfig(t, yaml))...)
			began := time.Now()
			r := post(t, nil, g.URL+"/v1/chat/completions", k.Key, chat("demo", prompt, "stream", true))
			var refill int64 // a tpm bucket refills while the stream flows
			if c.code == "rate_limit_exceeded" {
				refill = int64(time.Since(began).Seconds()*float64(pe+left)/60) + 1
			}
			text, _, code := streamed(t, r)
			if code != c.code {
				t.Fatalf("stream error code %q, want %q; stream:\n%s", code, c.code, r.Body)
			}
			if !strings.HasPrefix(full, text) || len(text) >= len(full) || len(text) == 0 {
				t.Fatalf("streamed %d of %d bytes before the cut, want a strict, non-empty prefix: %q\n%s", len(text), len(full), text, r.Body)
			}
			// left tokens (4 bytes each, as the gateway counts streamed
			// text) plus at most one released chunk.
			if max := 4*(left+refill) + 64; int64(len(text)) > max {
				t.Fatalf("streamed %d bytes with %d tokens left (+%d refilled): the cut overshot %d", len(text), left, refill, max)
			}
			r = post(t, nil, g.URL+"/v1/chat/completions", k.Key, chat("demo", "hello", "max_tokens", 8))
			if got, _ := r.apiError(); r.Status != http.StatusTooManyRequests || got != c.code || r.Header.Get("Retry-After") == "" {
				t.Fatalf("after the cut: %d %s (Retry-After %q), want 429 %s", r.Status, r.Body, r.Header.Get("Retry-After"), c.code)
			}
			t.Logf("cut after %d of %d bytes", len(text), len(full))
		})
	}
}

// redisServer is a redis-server child process of the test.
type redisServer struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedis(t *testing.T, port int) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is needed to test a Redis outage: %v", err)
	}
	s := &redisServer{port: port, done: make(chan struct{})}
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--dir", t.TempDir())
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := netDial(port)
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on port %d did not start: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *redisServer) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// TestRedisOutage: with Redis gone, a gateway with the default
// on_redis_error (closed) refuses with 429 rate_limit_exceeded and
// Retry-After 1, one with on_redis_error: local serves from its own
// memory; both log the outage and recover when Redis is back.
func TestRedisOutage(t *testing.T) {
	port := freePort(t)
	rs := startRedis(t, port)
	data := t.TempDir()
	upURL := upstream(t, &demo.Server{Name: "fake"})
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	limits := "limits:\n  keys: {rpm: 1000, tpm: 1000000}\n  redis_timeout: 300ms\n"
	k := createKey(t, data)
	closed := startGateway(t, data, "--upstream", upURL, "--redis", redisURL, "--config", writeConfig(t, limits))
	local := startGateway(t, data, "--upstream", upURL, "--redis", redisURL, "--config", writeConfig(t, limits+"  on_redis_error: local\n"))
	ask := func(g *gateway) *result {
		return post(t, nil, g.URL+"/v1/chat/completions", k.Key, chat("demo", "!say hi", "max_tokens", 4))
	}
	for _, g := range []*gateway{closed, local} {
		if r := ask(g); r.Status != http.StatusOK || r.Header.Get("x-ratelimit-limit-requests") != "1000" {
			t.Fatalf("with Redis up: %d %s %v", r.Status, r.Body, r.Header)
		}
	}

	rs.stop()
	for range 3 {
		r := ask(closed)
		code, msg := r.apiError()
		if r.Status != http.StatusTooManyRequests || code != "rate_limit_exceeded" || r.Header.Get("Retry-After") != "1" || !strings.Contains(msg, "cannot be checked") {
			t.Fatalf("closed, Redis down: %d %s Retry-After %q, want 429 rate_limit_exceeded, Retry-After 1", r.Status, r.Body, r.Header.Get("Retry-After"))
		}
		if r := ask(local); r.Status != http.StatusOK || r.Header.Get("x-ratelimit-limit-requests") != "1000" {
			t.Fatalf("local, Redis down: %d %s %v, want 200 from the in-memory fallback", r.Status, r.Body, r.Header)
		}
	}
	for _, g := range []*gateway{closed, local} {
		if n := strings.Count(g.Stderr(), "rate limit store unreachable"); n != 1 {
			t.Fatalf("%d log lines 'rate limit store unreachable', want 1:\n%s", n, g.Stderr())
		}
	}

	startRedis(t, port)
	deadline := time.Now().Add(30 * time.Second)
	for _, g := range []*gateway{closed, local} {
		for {
			r := ask(g)
			if r.Status == http.StatusOK && strings.Contains(g.Stderr(), "rate limit store reachable again") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no recovery 30s after Redis came back: last answer %d %s", r.Status, r.Body)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Back on Redis: the counts are shared again (a fresh Redis, so the
	// bucket started full and holds exactly what the two gateways took).
	r1, r2 := ask(closed), ask(local)
	d1 := header(t, r1, "x-ratelimit-remaining-requests")
	d2 := header(t, r2, "x-ratelimit-remaining-requests")
	if d2 >= d1 {
		t.Fatalf("after recovery: remaining requests %d then %d on the other gateway, want the second to see the first's request", d1, d2)
	}
}

// rateHeaders are the headers every answer must carry when rpm and tpm
// limits apply.
var rateHeaders = []string{"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
	"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"}

// TestHeadersAndCaps: the x-ratelimit-* headers on every answer
// (successes, streams and errors), Retry-After on 429, and the caps on
// n, max_tokens and logprobs refused or clamped as configured.
func TestHeadersAndCaps(t *testing.T) {
	data := t.TempDir()
	up := &demo.Server{Name: "fake", Models: []string{"demo"}}
	cfg := writeConfig(t, `limits:
  keys: {rpm: 100, tpm: 100000}
  ip: {rpm: 100000, tpm: 100000000}
  caps: {mode: refuse, n: 1, max_tokens: 64, top_logprobs: 2}
  tenant_caps:
    clamped: {mode: clamp, n: 1, max_tokens: 8, deny_logprobs: true}
`)
	refuse := createKey(t, data)
	clamp := createKey(t, data, "--tenant", "clamped")
	small := createKey(t, data, "--rpm", "2")
	g := startGateway(t, data, "--upstream", upstream(t, up), "--config", cfg)
	url := g.URL + "/v1/chat/completions"

	check := func(name string, r *result, status int, code string) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%s: status %d %s, want %d", name, r.Status, r.Body, status)
		}
		if got, _ := r.apiError(); got != code {
			t.Fatalf("%s: error code %q, want %q (%s)", name, got, code, r.Body)
		}
		for _, h := range rateHeaders {
			if r.Header.Get(h) == "" {
				t.Fatalf("%s: no %s header; headers %v", name, h, r.Header)
			}
		}
	}
	check("plain", post(t, nil, url, refuse.Key, chat("demo", "!say hi")), 200, "")
	r := post(t, nil, url, refuse.Key, chat("demo", "!say hi", "stream", true))
	check("stream", r, 200, "")
	streamed(t, r)
	check("bad key", post(t, nil, url, "sk-not-a-key", chat("demo", "hi")), 401, "invalid_api_key")
	check("no key", post(t, nil, url, "", chat("demo", "hi")), 401, "invalid_api_key")
	check("unknown model", post(t, nil, url, refuse.Key, chat("nope", "hi")), 404, "model_not_found")
	check("bad request", post(t, nil, url, refuse.Key, map[string]any{"model": "demo"}), 400, "invalid_request")
	req, _ := http.NewRequest(http.MethodGet, g.URL+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer "+refuse.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	check("models", &result{Status: resp.StatusCode, Header: resp.Header, Body: []byte("{}")}, 200, "")
	check("cap n", post(t, nil, url, refuse.Key, chat("demo", "hi", "n", 3)), 400, "invalid_request")
	r = post(t, nil, url, small.Key, chat("demo", "hi"))
	check("small 1", r, 200, "")
	if h := r.Header.Get("x-ratelimit-limit-requests"); h != "2" {
		t.Fatalf("x-ratelimit-limit-requests %q, want the key's own 2", h)
	}
	check("small 2", post(t, nil, url, small.Key, chat("demo", "hi")), 200, "")
	r = post(t, nil, url, small.Key, chat("demo", "hi"))
	check("small 3", r, 429, "rate_limit_exceeded")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 30 {
		t.Fatalf("Retry-After %q, want 1..30 s (one request back every 30s)", r.Header.Get("Retry-After"))
	}
	if r.Header.Get("x-ratelimit-remaining-requests") != "0" {
		t.Fatalf("429 with x-ratelimit-remaining-requests %q, want 0", r.Header.Get("x-ratelimit-remaining-requests"))
	}

	// Refuse mode: 400 naming the cap; nothing reaches the upstream.
	before := up.Requests.Load()
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{chat("demo", "hi", "n", 3), "n=3"},
		{chat("demo", "hi", "max_tokens", 1000), "max_tokens=1000"},
		{chat("demo", "hi", "max_completion_tokens", 65), "max_completion_tokens=65"},
		{chat("demo", "hi", "logprobs", true, "top_logprobs", 5), "top_logprobs=5"},
	} {
		r := post(t, nil, url, refuse.Key, c.body)
		code, msg := r.apiError()
		if r.Status != 400 || code != "invalid_request" || !strings.Contains(msg, c.want) {
			t.Fatalf("%v: %d %s, want 400 invalid_request naming %s", c.body, r.Status, r.Body, c.want)
		}
	}
	if n := up.Requests.Load() - before; n != 0 {
		t.Fatalf("%d refused requests reached the upstream", n)
	}
	// Within the caps it passes; an absent max_tokens becomes the cap.
	r = post(t, nil, url, refuse.Key, chat("demo", "hi", "logprobs", true, "top_logprobs", 2))
	if r.Status != 200 {
		t.Fatalf("within caps: %d %s", r.Status, r.Body)
	}
	if mt := gjson.Get(up.LastBody.Load().(string), "max_tokens").Int(); mt != 64 {
		t.Fatalf("upstream got max_tokens %d, want the cap 64 filled in", mt)
	}

	// Clamp mode: lowered and forwarded.
	r = post(t, nil, url, clamp.Key, chat("demo", "hi", "n", 3, "max_tokens", 1000, "logprobs", true, "top_logprobs", 5))
	if r.Status != 200 {
		t.Fatalf("clamp: %d %s", r.Status, r.Body)
	}
	body := gjson.Parse(up.LastBody.Load().(string))
	if body.Get("n").Int() != 1 || body.Get("max_tokens").Int() != 8 || body.Get("logprobs").Bool() || body.Get("top_logprobs").Int() != 0 {
		t.Fatalf("clamped request reached the upstream as %s", body.Raw)
	}
}

// TestTrustedProxies: an IP limit follows X-Forwarded-For only when the
// connection comes from a trusted proxy; anyone else is limited by their
// own address whatever they claim.
func TestTrustedProxies(t *testing.T) {
	data := t.TempDir()
	cfg := writeConfig(t, "trusted_proxies: [127.0.0.2]\nlimits:\n  ip: {rpm: 2}\n")
	k := createKey(t, data)
	g := startGateway(t, data, "--upstream", upstream(t, &demo.Server{Name: "fake"}), "--config", cfg)
	url := g.URL + "/v1/chat/completions"
	proxy, direct := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
	ask := func(c *http.Client, xff string) int {
		r := post(t, c, url, k.Key, chat("demo", "!say hi", "max_tokens", 4), "X-Forwarded-For", xff)
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			t.Fatalf("429 without Retry-After")
		}
		return r.Status
	}
	// Untrusted peer: a new forged address each time does not help.
	got := []int{ask(direct, "198.51.100.1"), ask(direct, "198.51.100.2"), ask(direct, "198.51.100.3")}
	if fmt.Sprint(got) != "[200 200 429]" {
		t.Fatalf("untrusted peer with forged X-Forwarded-For: %v, want [200 200 429]", got)
	}
	// Trusted proxy: each forwarded client has its own limit, and the
	// right-most untrusted hop counts (a forged left-most entry does not).
	got = []int{ask(proxy, "203.0.113.7"), ask(proxy, "1.1.1.1, 203.0.113.7"), ask(proxy, "2.2.2.2, 203.0.113.7"), ask(proxy, "203.0.113.8")}
	if fmt.Sprint(got) != "[200 200 429 200]" {
		t.Fatalf("through a trusted proxy: %v, want [200 200 429 200]", got)
	}
	// The proxy itself is not limited by its clients' use.
	if s := ask(proxy, "203.0.113.9"); s != 200 {
		t.Fatalf("another client through the proxy: %d", s)
	}
}
