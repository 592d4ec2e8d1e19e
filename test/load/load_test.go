// Package load measures what the gateway costs over a bare
// httputil.ReverseProxy: the latency it adds and the CPU it spends per
// request, both measured on real processes in front of the same fake
// upstream. `make bench` runs it (it sets RAMPART_BIN); without RAMPART_BIN
// the benchmark is skipped, so `go test ./...` never pays for it.
//
// Knobs (environment): RAMPART_LOAD_RATE (fixed-rate requests/s, 200),
// RAMPART_LOAD_SECONDS (seconds per run, 4), RAMPART_LOAD_CLIENTS
// (closed-loop concurrency, 8), RAMPART_LOAD_ROUNDS (interleaved rounds, 3),
// RAMPART_LOAD_LOG (a file for the gateway's log), RAMPART_LOAD_ARGS
// (extra `rampart serve` arguments, e.g. "--config
// audit-normal.yaml" to measure one component's share).
package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rampart/internal/demo"
)

// chatBody is a 1 KB chat request with ordinary prose: nothing the
// balanced policy blocks or rewrites, so every scanner runs to the end.
var chatBody = func() []byte {
	const system = "Reply in British English and keep answers under two hundred words."
	user := "Hello! We are planning the spring menu and would like a few ideas. " +
		"Our customers like sourdough, rye and seeded loaves, and in the afternoon we sell cinnamon rolls, " +
		"almond croissants and a lemon tart. We want to add two or three seasonal items that use rhubarb, " +
		"strawberries or fresh herbs, without buying new equipment: one deck oven, two mixers and a proofing cabinet. " +
		"Please suggest the items, say roughly how long each takes from mixing to the shelf, and mention anything " +
		"that could go wrong for a team of four bakers working an early shift. We also wonder whether a savoury " +
		"option, such as a focaccia with spring onions, would sell well next to the sweet pastries. "
	head := `{"model":"demo","max_tokens":256,"messages":[{"role":"system","content":"` + system + `"},{"role":"user","content":"`
	tail := `"}]}`
	for len(head)+len(user)+len(tail) < 1024 {
		user += "Thanks! "
	}
	return []byte(head + user[:1024-len(head)-len(tail)] + tail)
}()

type config struct {
	rate    int
	dur     time.Duration
	clients int
	rounds  int
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkGatewayVsBare runs, in interleaved rounds, the same load
// against the upstream directly, a bare reverse proxy and the gateway
// (default policy, a real key, in-memory limits, default audit log), and
// prints the added latency and CPU per request with the ratios.
func BenchmarkGatewayVsBare(b *testing.B) {
	bin := os.Getenv("RAMPART_BIN")
	if bin == "" {
		b.Skip("RAMPART_BIN is not set (make bench sets it)")
	}
	cfg := config{
		rate:    envInt("RAMPART_LOAD_RATE", 200),
		dur:     time.Duration(envInt("RAMPART_LOAD_SECONDS", 4)) * time.Second,
		clients: envInt("RAMPART_LOAD_CLIENTS", 8),
		rounds:  envInt("RAMPART_LOAD_ROUNDS", 3),
	}

	up := httptest.NewServer(&demo.Server{Name: "load", Models: []string{"demo"}})
	b.Cleanup(up.Close)

	tmp := b.TempDir()
	bareBin := filepath.Join(tmp, "bareproxy")
	build := exec.Command("go", "build", "-o", bareBin, "./bareproxy")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build bareproxy: %v\n%s", err, out)
	}
	bare := startProc(b, "bareproxy", exec.Command(bareBin, "--upstream", up.URL+"/v1", "--upstream-key", "sk-load"), "bareproxy listening on ")

	data := filepath.Join(tmp, "data")
	key := createKey(b, bin, data)
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data", data, "--upstream", up.URL + "/v1", "--upstream-key", "sk-load"}
	args = append(args, strings.Fields(os.Getenv("RAMPART_LOAD_ARGS"))...)
	gw := startProc(b, "gateway", exec.Command(bin, args...), "rampart listening on ")

	targets := []*target{
		{name: "direct", url: up.URL + "/v1/chat/completions"},
		{name: "bare", url: bare.url + "/v1/chat/completions", proc: bare},
		{name: "gateway", url: gw.url + "/v1/chat/completions", proc: gw},
	}
	for _, t := range targets {
		t.key = key
		t.client = &http.Client{Transport: &http.Transport{
			MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute, DisableCompression: true,
		}}
		// Warm up: connections, the gateway's caches, the upstream.
		if _, err := t.closed(cfg.clients, time.Second); err != nil {
			b.Fatalf("%s warm-up: %v", t.name, err)
		}
	}

	fmt.Printf("\ngateway vs bare httputil.ReverseProxy: 1 KB chat request, %d rounds interleaved; fixed rate %d req/s for %s; closed loop %d clients for %s\n",
		cfg.rounds, cfg.rate, cfg.dur, cfg.clients, cfg.dur)
	if a := os.Getenv("RAMPART_LOAD_ARGS"); a != "" {
		fmt.Printf("gateway arguments: %s\n", a)
	}
	modes := []string{"fixed", "closed"}
	res := map[string]map[string]*result{}
	// The gateway's audit events and commits per phase (from /metrics).
	var auditEvents, auditCommits [2]float64
	for _, m := range modes {
		res[m] = map[string]*result{}
		for _, t := range targets {
			res[m][t.name] = &result{}
		}
	}
	b.ResetTimer()
	for round := range cfg.rounds {
		order := []*target{targets[0], targets[1], targets[2]}
		if round%2 == 1 {
			order[1], order[2] = order[2], order[1]
		}
		for _, m := range modes {
			for _, t := range order {
				var r *result
				var err error
				var ev0, cm0 float64
				if t == targets[2] {
					ev0, cm0 = auditCounters(gw.url)
				}
				if m == "fixed" {
					r, err = t.fixed(cfg.rate, cfg.dur)
				} else {
					r, err = t.closed(cfg.clients, cfg.dur)
				}
				if err != nil {
					b.Fatalf("%s %s: %v", m, t.name, err)
				}
				res[m][t.name].add(r)
				if t == targets[2] {
					ev1, cm1 := auditCounters(gw.url)
					i := slices.Index(modes, m)
					auditEvents[i] += ev1 - ev0
					auditCommits[i] += cm1 - cm0
				}
			}
		}
	}
	b.StopTimer()

	for _, m := range modes {
		d, br, g := res[m]["direct"], res[m]["bare"], res[m]["gateway"]
		fmt.Printf("\n%s:\n", map[string]string{"fixed": fmt.Sprintf("fixed rate, %d req/s (open loop)", cfg.rate), "closed": fmt.Sprintf("closed loop, %d clients", cfg.clients)}[m])
		fmt.Printf("  %-8s %8s %8s %9s %9s %9s %9s %9s %10s %10s\n", "target", "requests", "req/s", "p50", "p90", "p99", "+p50", "+p99", "cpu/req", "cpu/req*")
		for _, r := range []struct {
			name string
			r    *result
		}{{"direct", d}, {"bare", br}, {"gateway", g}} {
			add := func(q float64) string {
				if r.r == d {
					return "-"
				}
				return us(r.r.pct(q) - d.pct(q))
			}
			cpu, cpuStat := "-", "-"
			if r.r != d {
				cpu, cpuStat = us(r.r.cpuPerReq()), us(r.r.statPerReq())
			}
			fmt.Printf("  %-8s %8d %8.0f %9s %9s %9s %9s %9s %10s %10s\n", r.name, len(r.r.lat), r.r.rps(),
				us(r.r.pct(.5)), us(r.r.pct(.9)), us(r.r.pct(.99)), add(.5), add(.99), cpu, cpuStat)
		}
		// A ratio of added latencies means nothing when the bare proxy's
		// added latency is within the noise of the direct run (≤ 0).
		ratio := func(q float64) float64 {
			if br.pct(q) <= d.pct(q) {
				return math.NaN()
			}
			return float64(g.pct(q)-d.pct(q)) / float64(br.pct(q)-d.pct(q))
		}
		cpuRatio := float64(g.cpuPerReq()) / float64(max(1, br.cpuPerReq()))
		fmt.Printf("  gateway ÷ bare: added p50 %.2fx (target ≤ 1.5x), added p90 %.2fx, added p99 %.2fx, CPU/request %.2fx (target ≤ 2.5x)\n",
			ratio(.5), ratio(.9), ratio(.99), cpuRatio)
		if i := slices.Index(modes, m); auditCommits[i] > 0 {
			fmt.Printf("  gateway audit log: %.2f events per commit, %.2f commits per request\n",
				auditEvents[i]/auditCommits[i], auditCommits[i]/float64(len(g.lat)))
			b.ReportMetric(auditEvents[i]/auditCommits[i], m+"-audit-events/commit")
		}
		b.ReportMetric(ratio(.5), m+"-p50-ratio")
		b.ReportMetric(cpuRatio, m+"-cpu-ratio")
		b.ReportMetric(float64(g.pct(.5)-d.pct(.5))/1e3, m+"-gw-added-p50-µs")
		b.ReportMetric(float64(g.cpuPerReq())/1e3, m+"-gw-cpu-µs/req")
	}
	fmt.Printf("\n  p50/p90/p99: client-side latency; +p50/+p99: minus the direct run's percentile (what the proxy adds).\n" +
		"  cpu/req: the proxy process's CPU (sum of /proc/PID/task/*/schedstat, ns) ÷ requests; cpu/req*: the same from\n" +
		"  /proc/PID/stat utime+stime (10 ms ticks). Both include background work (GC, the audit writer, log output).\n\n")
}

// proc is a server process under test.
type proc struct {
	pid int
	url string
}

func startProc(b *testing.B, name string, cmd *exec.Cmd, readyPrefix string) *proc {
	b.Helper()
	cmd.Env = cleanEnv()
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	var keep io.Writer
	if path := os.Getenv("RAMPART_LOAD_LOG"); path != "" && name == "gateway" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		keep = f
	}
	ready := make(chan string, 1)
	var mu sync.Mutex
	var head bytes.Buffer // the first lines, for a failed start
	go func() {
		buf := make([]byte, 64<<10)
		var line []byte
		found := false
		for {
			n, err := pr.Read(buf)
			if !found {
				mu.Lock()
				if head.Len() < 64<<10 {
					head.Write(buf[:n])
				}
				mu.Unlock()
				line = append(line, buf[:n]...)
				for {
					i := bytes.IndexByte(line, '\n')
					if i < 0 {
						break
					}
					if u, ok := strings.CutPrefix(string(line[:i]), readyPrefix); ok {
						ready <- strings.TrimSpace(u)
						found = true
						line = nil
						break
					}
					line = line[i+1:]
				}
			}
			// After the ready line, the access log is read and dropped
			// (or kept in RAMPART_LOAD_LOG for the gateway).
			if found && keep != nil && n > 0 {
				_, _ = keep.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	p := &proc{pid: cmd.Process.Pid}
	select {
	case p.url = <-ready:
	case err := <-exited:
		mu.Lock()
		defer mu.Unlock()
		b.Fatalf("%s exited before it was ready: %v\n%s", name, err, head.String())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		b.Fatalf("%s did not become ready", name)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return p
}

// cleanEnv is the environment without RAMPART_* settings, so the processes
// run with their defaults whatever the caller's shell holds.
func cleanEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "RAMPART_") {
			env = append(env, e)
		}
	}
	return env
}

func createKey(b *testing.B, bin, data string) string {
	b.Helper()
	cmd := exec.Command(bin, "keys", "create", "--data", data, "--name", "load", "--json")
	cmd.Env = cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		b.Fatalf("rampart keys create: %v\n%s", err, errb.String())
	}
	s := out.String()
	i := strings.Index(s, `"key":"`)
	if i < 0 {
		b.Fatalf("keys create --json printed %q", s)
	}
	s = s[i+len(`"key":"`):]
	return s[:strings.IndexByte(s, '"')]
}

// target is one endpoint under load.
type target struct {
	name   string
	url    string
	key    string
	proc   *proc // nil for the upstream itself
	client *http.Client
}

func (t *target) do() (time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(chatBody))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.key)
	start := time.Now()
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return d, nil
}

// fixed sends rate requests per second for d, each on its own goroutine
// (open loop: a slow answer does not delay the next request).
func (t *target) fixed(rate int, d time.Duration) (*result, error) {
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	c0 := t.cpu()
	start := time.Now()
	for i := range n {
		if w := time.Until(start.Add(time.Duration(i) * interval)); w > 0 {
			time.Sleep(w)
		}
		wg.Go(func() {
			l, err := t.do()
			if err != nil {
				errs <- err
			}
			lat[i] = l
		})
	}
	wg.Wait()
	wall := time.Since(start)
	c1 := t.cpu()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return &result{lat: lat, wall: wall, cpu: c1.sub(c0)}, nil
}

// closed runs clients loops, each sending its next request when the last
// answer arrived, for d.
func (t *target) closed(clients int, d time.Duration) (*result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	lats := make([][]time.Duration, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	c0 := t.cpu()
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				l, err := t.do()
				if err != nil {
					errs[c] = err
					return
				}
				lats[c] = append(lats[c], l)
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	c1 := t.cpu()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return &result{lat: slices.Concat(lats...), wall: wall, cpu: c1.sub(c0)}, nil
}

// cpuTime is a process's CPU time, measured two ways.
type cpuTime struct {
	sched time.Duration // sum of the threads' schedstat run time (ns resolution)
	stat  time.Duration // utime+stime from /proc/PID/stat (clock ticks)
}

func (a cpuTime) sub(b cpuTime) cpuTime { return cpuTime{a.sched - b.sched, a.stat - b.stat} }

func (t *target) cpu() cpuTime {
	if t.proc == nil {
		return cpuTime{}
	}
	return procCPU(t.proc.pid)
}

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

func procCPU(pid int) cpuTime {
	var c cpuTime
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the parenthesised command name; utime and stime are
		// fields 14 and 15 of the whole line.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 12 {
				ut, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				c.stat = time.Duration(ut+st) * clockTick
			}
		}
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			c.sched += time.Duration(ns)
		}
	}
	return c
}

// result pools the samples of one target and mode over the rounds.
type result struct {
	lat    []time.Duration
	wall   time.Duration
	cpu    cpuTime
	sorted bool
}

func (r *result) add(o *result) {
	r.lat = append(r.lat, o.lat...)
	r.wall += o.wall
	r.cpu.sched += o.cpu.sched
	r.cpu.stat += o.cpu.stat
	r.sorted = false
}

func (r *result) pct(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	if !r.sorted {
		slices.Sort(r.lat)
		r.sorted = true
	}
	return r.lat[min(len(r.lat)-1, int(q*float64(len(r.lat))))]
}

func (r *result) rps() float64 { return float64(len(r.lat)) / r.wall.Seconds() }

func (r *result) cpuPerReq() time.Duration {
	return r.cpu.sched / time.Duration(max(1, len(r.lat)))
}

func (r *result) statPerReq() time.Duration {
	return r.cpu.stat / time.Duration(max(1, len(r.lat)))
}

func us(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/1e3, 'f', 0, 64) + "µs"
}

// auditCounters reads the gateway's audit records and commits counters
// from /metrics (0, 0 when they are not there, e.g. audit disabled).
func auditCounters(base string) (events, commits float64) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "rampart_audit_records_total "); ok {
			events, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		if v, ok := strings.CutPrefix(line, "rampart_audit_commits_total "); ok {
			commits, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return events, commits
}
