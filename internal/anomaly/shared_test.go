package anomaly

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"rampart/internal/config"
)

func TestKillSwitchMemory(t *testing.T) {
	h := newHarness(t, Config{}, Deps{})
	ctx := context.Background()
	if killed, _ := h.d.Killed("k1", "acme", "demo"); killed {
		t.Fatal("killed at start")
	}
	for _, c := range []struct{ kind, id string }{{"key", "k1"}, {"tenant", "acme"}, {"model", "demo"}} {
		if err := h.d.Kill(ctx, c.kind, c.id, true); err != nil {
			t.Fatal(err)
		}
		killed, why := h.d.Killed("k1", "acme", "demo")
		// The gateway picks 403 (model) or 401 by the kind the reason starts with.
		if !killed || !strings.HasPrefix(why, c.kind+" "+c.id+" ") {
			t.Fatalf("%s %s: killed=%v why=%q", c.kind, c.id, killed, why)
		}
		if killed, _ := h.d.Killed("k2", "other", "gpt"); killed {
			t.Fatalf("%s %s kills unrelated traffic", c.kind, c.id)
		}
		if err := h.d.Kill(ctx, c.kind, c.id, false); err != nil {
			t.Fatal(err)
		}
		if killed, _ := h.d.Killed("k1", "acme", "demo"); killed {
			t.Fatalf("%s %s still killed after off", c.kind, c.id)
		}
	}
	if err := h.d.Kill(ctx, "user", "x", true); err == nil {
		t.Error("unknown kind accepted")
	}
	if err := h.d.Kill(ctx, "key", "", true); err == nil {
		t.Error("empty id accepted")
	}
	// Empty arguments never match.
	if killed, _ := h.d.Killed("", "", ""); killed {
		t.Error("empty matched")
	}
}

func TestKillSwitchSettings(t *testing.T) {
	st := &memSettings{}
	a := newHarness(t, Config{}, Deps{Settings: st})
	b := newHarness(t, Config{}, Deps{Settings: st})
	ctx := context.Background()
	if err := a.d.Kill(ctx, KillTenant, "acme", true); err != nil {
		t.Fatal(err)
	}
	if err := b.d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if killed, _ := b.d.Killed("k1", "acme", "demo"); !killed {
		t.Fatal("replica b does not see the switch")
	}
	// A new replica starts with the switch on.
	c := newHarness(t, Config{}, Deps{Settings: st})
	if killed, _ := c.d.Killed("k1", "acme", ""); !killed {
		t.Fatal("new replica does not load the switch")
	}
	if err := b.d.Kill(ctx, KillTenant, "acme", false); err != nil {
		t.Fatal(err)
	}
	if err := a.d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if killed, _ := a.d.Killed("k1", "acme", "demo"); killed {
		t.Fatal("replica a still killed")
	}
}

func redisPair(t *testing.T, rdb redis.UniversalClient, cfg Config, settings Settings) (*harness, *harness) {
	t.Helper()
	return newHarness(t, cfg, Deps{Redis: rdb, Settings: settings}),
		newHarness(t, cfg, Deps{Redis: rdb, Settings: settings})
}

func testKillAcrossReplicas(t *testing.T, rdb redis.UniversalClient, prefix string) {
	ctx := context.Background()
	a, b := redisPair(t, rdb, Config{Redis: RedisConfig{Prefix: prefix}}, nil)
	if err := a.d.Kill(ctx, KillModel, "gpt-x", true); err != nil {
		t.Fatal(err)
	}
	if killed, _ := a.d.Killed("", "", "gpt-x"); !killed {
		t.Fatal("not killed on the replica that flipped it")
	}
	if err := b.d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if killed, why := b.d.Killed("k", "t", "gpt-x"); !killed || !strings.Contains(why, "model gpt-x") {
		t.Fatalf("replica b: killed=%v why=%q", killed, why)
	}
	ttl := rdb.TTL(ctx, prefix+"kill").Val()
	if ttl <= 0 {
		t.Errorf("kill hash has no TTL (%v)", ttl)
	}
	if err := b.d.Kill(ctx, KillModel, "gpt-x", false); err != nil {
		t.Fatal(err)
	}
	if err := a.d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if killed, _ := a.d.Killed("", "", "gpt-x"); killed {
		t.Fatal("replica a still killed after off")
	}
}

func TestKillSwitchRedis(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	testKillAcrossReplicas(t, rdb, "t:")
}

// TestKillSwitchRealRedis runs against the Redis on this machine when
// there is one.
func TestKillSwitchRealRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Skipf("no Redis at 127.0.0.1:6379: %v", err)
	}
	prefix := fmt.Sprintf("rampart-test:%d:", time.Now().UnixNano())
	t.Cleanup(func() {
		keys, _ := rdb.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	})
	testKillAcrossReplicas(t, rdb, prefix)
}

// TestKillSwitchBackgroundRefresh checks that the refresh loop alone
// carries a flip to another replica (deadline generous: this asserts the
// loop runs, the interval is validated to be ≤ 500ms by Config).
func TestKillSwitchBackgroundRefresh(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	a, b := redisPair(t, rdb, Config{}, nil)
	if err := a.d.Kill(context.Background(), KillKey, "k1", true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if killed, _ := b.d.Killed("k1", "", ""); killed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("replica b never picked up the switch")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKillSwitchRestoredAfterRedisLoss(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	st := &memSettings{}
	a, _ := redisPair(t, rdb, Config{}, st)
	ctx := context.Background()
	if err := a.d.Kill(ctx, KillKey, "k1", true); err != nil {
		t.Fatal(err)
	}
	mr.FlushAll() // Redis restarted without persistence
	ks := NewKillSwitch(KillBackend{Redis: rdb, Settings: st})
	if err := ks.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if killed, _ := ks.Killed("k1", "", ""); !killed {
		t.Fatal("switch lost with Redis")
	}
	if !mr.Exists("rampart:anomaly:kill") {
		t.Error("switch not restored into Redis")
	}
}

func TestSharedStuffingCounters(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	a, b := redisPair(t, rdb, Config{}, nil)
	ip := "198.51.100.77"
	ts := spread(t0, 40*time.Second, 20)
	for _, at := range ts[:10] {
		if v := a.at(at, failure(ip)); v.Fired != 0 {
			t.Fatal("fired early")
		}
	}
	if err := a.d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, at := range ts[10:19] {
		if v := b.at(at, failure(ip)); v.Fired != 0 {
			t.Fatal("fired early on b")
		}
	}
	if err := b.d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	v := b.at(ts[19], failure(ip))
	if !v.BlockIP {
		t.Fatalf("20 failures across two replicas: %+v", v)
	}
	if a.d.IPBlocked(ip) {
		t.Fatal("a blocked before any sync")
	}
	if err := b.d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a.clock.Set(ts[19])
	if err := a.d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if !a.d.IPBlocked(ip) {
		t.Fatal("block not shared with replica a")
	}
	for _, k := range mr.Keys() {
		if mr.TTL(k) <= 0 {
			t.Errorf("key %s has no TTL", k)
		}
	}
}

func TestSharedVolumeCounters(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	cfg := Config{Volume: VolumeConfig{Warmup: 3, MinRPM: 30}}
	a, b := redisPair(t, rdb, cfg, nil)
	// Round-robin over two replicas: 10/min each, 20/min in all.
	for m := range 5 {
		for i, at := range spread(t0.Add(time.Duration(m)*time.Minute), time.Minute, 20) {
			h := a
			if i%2 == 1 {
				h = b
			}
			h.at(at, keyObs("k1"))
			if i%4 == 3 {
				a.d.Flush(ctx)
				b.d.Flush(ctx)
			}
		}
	}
	// Now 70 in a minute, 35 per replica: only the shared count crosses
	// max(30, 3·20) = 60.
	hit := false
	for i, at := range spread(t0.Add(5*time.Minute), time.Minute, 70) {
		h := a
		if i%2 == 1 {
			h = b
		}
		hit = h.at(at, keyObs("k1")).Fired.Has(RuleVolume) || hit
		if i%4 == 3 {
			if err := a.d.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			b.d.Flush(ctx)
		}
	}
	if !hit {
		t.Fatal("the spike was not seen across replicas")
	}
	for _, k := range mr.Keys() {
		if mr.TTL(k) <= 0 {
			t.Errorf("key %s has no TTL", k)
		}
	}
}

func TestAlertWebhook(t *testing.T) {
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer srv.Close()
	metrics := make(chan Alert, 4)
	cfg := Config{Alert: AlertConfig{Webhook: srv.URL, Secret: "s3cret"}, Blocks: BlocksConfig{Count: 2}}
	h := newHarness(t, cfg, Deps{Alerter: NewAlerter(cfg.withDefaults().Alert, srv.Client(), nil, func(a Alert) { metrics <- a })})
	block := keyObs("k1")
	block.Decision = DecisionBlock
	block.Prompt = "PROMPT-TEXT-MUST-NOT-LEAK"
	h.at(t0, block)
	if v := h.at(t0.Add(time.Second), block); !v.Alert {
		t.Fatalf("no alert: %+v", v)
	}
	r, body := <-got, <-bodies
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s %s", r.Method, r.Header.Get("Content-Type"))
	}
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write(body)
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); r.Header.Get("X-Rampart-Signature") != want {
		t.Errorf("signature %q, want %q", r.Header.Get("X-Rampart-Signature"), want)
	}
	var a Alert
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if a.Rule != "guardrail_blocks" || a.ID != "k1" || a.Tenant != "acme" || len(a.Actions) == 0 {
		t.Errorf("alert %+v", a)
	}
	if strings.Contains(string(body), "PROMPT-TEXT") {
		t.Error("webhook body leaks the prompt")
	}
	if ma := <-metrics; ma.Rule != a.Rule {
		t.Errorf("metric got %+v", ma)
	}
}

func TestAlertWebhookFailureCounted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	cfg := Config{Alert: AlertConfig{Webhook: srv.URL}}
	err := NewAlerter(cfg.withDefaults().Alert, srv.Client(), nil, nil).Alert(context.Background(), Alert{Rule: "x"})
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ck := config.NewChecker()
	Config{}.Validate(ck)
	if err := ck.Err(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	bad := Config{
		Volume:   VolumeConfig{Alpha: 1.5, Actions: []Action{"explode"}},
		Stuffing: StuffingConfig{Actions: []Action{ActQuarantine}, Failures: 3, MinDistinct: 5},
		Extract:  ExtractConfig{Logprobs: ShareConfig{MinShare: 2}},
		Kill:     KillConfig{Refresh: config.Duration(2 * time.Second)},
		Alert:    AlertConfig{Webhook: "ftp://x"},
	}
	ck = config.NewChecker()
	bad.Validate(ck)
	err := ck.Err()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{
		"volume.alpha", "volume.actions[0]", "credential_stuffing.actions[0]", "credential_stuffing.min_distinct",
		"extraction.logprobs.min_share", "kill_switch.refresh", "alert.webhook",
	} {
		if !strings.Contains(err.Error(), want+":") {
			t.Errorf("no problem at %s in:\n%v", want, err)
		}
	}
	if _, err := New(bad, Deps{}); err == nil {
		t.Error("New accepted a bad config")
	}
}

// The example in docs/anomaly.md decodes strictly and validates.
func TestConfigExample(t *testing.T) {
	doc, err := readDocExample()
	if err != nil {
		t.Skip(err)
	}
	var wrap struct {
		Anomaly Config `yaml:"anomaly"`
	}
	if err := config.DecodeStrict([]byte(doc), &wrap); err != nil {
		t.Fatal(err)
	}
	ck := config.NewChecker()
	wrap.Anomaly.Validate(ck)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	if wrap.Anomaly.Volume.K == 0 {
		t.Error("example did not set volume.k")
	}
}
