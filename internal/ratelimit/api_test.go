package ratelimit

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"rampart/internal/config"
)

func TestFormatReset(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", -time.Second: "0s", 20 * time.Millisecond: "20ms", 19500 * time.Microsecond: "20ms",
		time.Second: "1s", 1500 * time.Millisecond: "1.5s", 1501 * time.Millisecond: "1.6s",
		6 * time.Minute: "6m0s", 6*time.Minute + 1: "6m1s", 59*time.Second + 950*time.Millisecond: "1m0s",
	} {
		if got := FormatReset(d); got != want {
			t.Errorf("FormatReset(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("x-ratelimit-limit-tokens", "stale")
	Status{LimitRequests: 60, RemainingRequests: 59, ResetRequests: time.Second, LimitTokens: -1}.SetHeaders(h)
	want := map[string]string{
		"X-Ratelimit-Limit-Requests": "60", "X-Ratelimit-Remaining-Requests": "59", "X-Ratelimit-Reset-Requests": "1s",
	}
	if len(h) != len(want) {
		t.Fatalf("headers %v, want %v", h, want)
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	d := &Denied{Code: CodeRateLimit, RetryAfter: 1200 * time.Millisecond, Status: Status{LimitRequests: -1, LimitTokens: 1000, RemainingTokens: 0, ResetTokens: 6 * time.Minute}}
	h = http.Header{}
	d.SetHeaders(h)
	if h.Get("Retry-After") != "2" || h.Get("x-ratelimit-reset-tokens") != "6m0s" || h.Get("x-ratelimit-remaining-tokens") != "0" {
		t.Fatalf("denied headers %v", h)
	}
	if (&Denied{}).RetryAfterSeconds() != 1 {
		t.Fatal("Retry-After must be at least 1")
	}
}

func TestCaps(t *testing.T) {
	caps := Caps{N: 2, MaxTokens: 1000, TopLogprobs: 3}
	for _, tc := range []struct {
		name    string
		caps    Caps
		in      Params
		want    Params
		changed bool
		errPar  string
	}{
		{"within caps", caps, Params{N: 2, MaxTokens: 10, Logprobs: true, TopLogprobs: 3}, Params{N: 2, MaxTokens: 10, Logprobs: true, TopLogprobs: 3}, false, ""},
		{"absent max_tokens filled", caps, Params{}, Params{MaxTokens: 1000}, true, ""},
		{"max_completion_tokens counts", caps, Params{MaxCompletionTokens: 5}, Params{MaxCompletionTokens: 5}, false, ""},
		{"refuse n", caps, Params{N: 3, MaxTokens: 1}, Params{N: 3, MaxTokens: 1}, false, "n"},
		{"refuse max_tokens", caps, Params{MaxTokens: 1001}, Params{MaxTokens: 1001}, false, "max_tokens"},
		{"refuse max_completion_tokens", caps, Params{MaxCompletionTokens: 4000}, Params{MaxCompletionTokens: 4000}, false, "max_completion_tokens"},
		{"refuse top_logprobs", caps, Params{MaxTokens: 1, Logprobs: true, TopLogprobs: 20}, Params{MaxTokens: 1, Logprobs: true, TopLogprobs: 20}, false, "top_logprobs"},
		{"clamp", Caps{Mode: CapClamp, N: 1, MaxTokens: 100, TopLogprobs: 2}, Params{N: 8, MaxTokens: 5000, MaxCompletionTokens: 6000, Logprobs: true, TopLogprobs: 9},
			Params{N: 1, MaxTokens: 100, MaxCompletionTokens: 100, Logprobs: true, TopLogprobs: 2}, true, ""},
		{"deny logprobs", Caps{DenyLogprobs: true}, Params{Logprobs: true}, Params{Logprobs: true}, false, "logprobs"},
		{"deny logprobs clamp", Caps{DenyLogprobs: true, Mode: CapClamp}, Params{Logprobs: true, TopLogprobs: 5}, Params{}, true, ""},
		{"no caps", Caps{}, Params{N: 100, MaxTokens: 1e6, Logprobs: true, TopLogprobs: 20}, Params{N: 100, MaxTokens: 1e6, Logprobs: true, TopLogprobs: 20}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.in
			changed, err := tc.caps.Apply(&p)
			var ce *CapError
			switch {
			case tc.errPar == "" && err != nil:
				t.Fatalf("Apply: %v", err)
			case tc.errPar != "" && (!errors.As(err, &ce) || ce.Param != tc.errPar || !errors.Is(err, ErrCapExceeded)):
				t.Fatalf("Apply error %v, want a CapError on %s", err, tc.errPar)
			}
			if p != tc.want || changed != tc.changed {
				t.Fatalf("Apply -> %+v changed=%v, want %+v changed=%v", p, changed, tc.want, tc.changed)
			}
		})
	}
	if msg := (&CapError{Param: "n", Cap: 2, Got: 3}).Error(); !strings.Contains(msg, "n=3") || !strings.Contains(msg, "2") {
		t.Fatalf("message %q", msg)
	}
}

func TestCapsFor(t *testing.T) {
	c := Config{Caps: Caps{N: 1}, TenantCaps: map[string]Caps{"t": {N: 2}}, KeyCaps: map[string]Caps{"k": {N: 3}}}
	if c.CapsFor("k", "t").N != 3 || c.CapsFor("x", "t").N != 2 || c.CapsFor("x", "y").N != 1 || c.CapsFor("", "").N != 1 {
		t.Fatal("CapsFor precedence: key, then tenant, then default")
	}
}

func TestValidate(t *testing.T) {
	const doc = `
keys: {rpm: 60, tpm: 100000, concurrency: 4}
tenants:
  acme: {tpm: 1000000, daily_tokens: 5000000, monthly_cost: 500}
tenant_default: {rpm: 600}
ip: {rpm: -1}
models:
  gpt-4o: {input: 2.5, output: 10}
  bad: {input: -1}
caps: {mode: clamp, n: 1, max_tokens: 4096, top_logprobs: 5}
tenant_caps:
  acme: {mode: sometimes}
on_redis_error: maybe
redis_timeout: 250ms
concurrency_ttl: 10m
`
	var c Config
	if err := config.DecodeStrict([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	if c.Tenants["acme"].MonthlyCost != 500 || c.Caps.MaxTokens != 4096 || c.RedisTimeout.D() != 250*time.Millisecond {
		t.Fatalf("decoded %+v", c)
	}
	ch := config.NewChecker()
	c.Validate(ch)
	var ps config.Problems
	if !errors.As(ch.Err(), &ps) {
		t.Fatalf("Validate: %v", ch.Err())
	}
	got := map[string]bool{}
	for _, p := range ps {
		got[p.Path] = true
	}
	for _, path := range []string{"ip.rpm", `models["bad"].input`, `tenant_caps["acme"].mode`, "on_redis_error"} {
		if !got[path] {
			t.Errorf("no problem at %s; got %v", path, ps)
		}
	}
	if len(ps) != 4 {
		t.Errorf("%d problems, want 4: %v", len(ps), ps)
	}
	if _, err := New(c, nil, nil); err == nil {
		t.Fatal("New accepted an invalid config")
	}
	c = Config{Keys: Limits{RPM: 1}}
	l, err := New(c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.(*Memory); !ok {
		t.Fatalf("New without Redis = %T, want *Memory", l)
	}
}

func TestHeaderNamesCanonical(t *testing.T) {
	for _, n := range headerNames {
		if c := http.CanonicalHeaderKey(n); c != n {
			t.Errorf("header name %q is not canonical (%q)", n, c)
		}
	}
}

func BenchmarkSetHeaders(b *testing.B) {
	h := http.Header{}
	st := Status{LimitRequests: 600, RemainingRequests: 599, ResetRequests: 100 * time.Millisecond, LimitTokens: 100000, RemainingTokens: 99000}
	b.ReportAllocs()
	for b.Loop() {
		st.SetHeaders(h)
	}
}
