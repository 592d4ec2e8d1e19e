package anomaly

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

func readDocExample() (string, error) {
	b, err := os.ReadFile("../../docs/anomaly.md")
	if err != nil {
		return "", err
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	if !ok {
		return "", os.ErrNotExist
	}
	doc, _, _ := strings.Cut(rest, "```")
	return doc, nil
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint("What is the capital of country 12?")
	b := Fingerprint("what is  the CAPITAL of country 13 ?")
	if a.Exact == b.Exact {
		t.Error("different counters, same exact hash")
	}
	if a.Head != b.Head || a.Tail != b.Tail {
		t.Error("prompts that differ only in a number have different templates")
	}
	if Fingerprint("What is the capital of country 12?").Exact != Fingerprint("what is the capital of country 12").Exact {
		t.Error("case and punctuation change the exact hash")
	}
	c := Fingerprint("Translate 'apple' into French please")
	d := Fingerprint("Translate 'pear' into French please")
	if c.Head == d.Head && c.Tail == d.Tail {
		t.Error("different slot, both halves equal")
	}
	if c.Head != d.Head && c.Tail != d.Tail {
		t.Error("one slot differs, no half equal")
	}
	if p := Fingerprint("hi there"); p.Head != 0 || p.Exact == 0 {
		t.Errorf("short prompt %+v", p)
	}
	if !Fingerprint("  ?! ").IsZero() {
		t.Error("no words, non-zero print")
	}
	if Fingerprint("Привет мир как дела").Exact != Fingerprint("привет мир как дела?").Exact {
		t.Error("non-ASCII case folding")
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	h := newHarness(t, Config{}, Deps{})
	p := Fingerprint("What is the capital of country 12? Answer in one word.")
	o := keyObs("k1")
	o.Print = p
	o.Time = t0
	h.d.Observe(o) // create the key's state
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		o.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		o.Print.Exact = uint64(i)*2654435761 | 1
		h.d.Observe(o)
	})
	if allocs != 0 {
		t.Errorf("Observe allocates %v times per call", allocs)
	}
	if n := testing.AllocsPerRun(100, func() { h.d.Killed("k1", "acme", "demo") }); n != 0 {
		t.Errorf("Killed allocates %v", n)
	}
	h.d.Kill(t.Context(), KillModel, "other-model", true)
	if n := testing.AllocsPerRun(100, func() { h.d.Killed("k1", "acme", "demo") }); n != 0 {
		t.Errorf("Killed (switches on) allocates %v", n)
	}
	for _, at := range spread(t0, time.Second, 20) {
		h.at(at, failure("2001:db8::7"))
	}
	if !h.d.IPBlocked("2001:db8::8") {
		t.Fatal("setup: address not blocked")
	}
	if n := testing.AllocsPerRun(100, func() { h.d.IPBlocked("2001:db8::1"); h.d.IPBlocked("192.0.2.1"); h.d.Throttle("k1") }); n != 0 {
		t.Errorf("IPBlocked/Throttle allocate %v", n)
	}
}

func benchDetector(b *testing.B) *Detector {
	d, err := New(Config{}, Deps{Alerter: &recAlerter{ch: make(chan Alert, 1)}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

func BenchmarkObserve(b *testing.B) {
	d := benchDetector(b)
	r := rand.New(rand.NewPCG(1, 1))
	prints := make([]Print, 1024)
	for i := range prints {
		prints[i] = Fingerprint(randomPrompt(r, 10, 60))
	}
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}
	o := keyObs("")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		o.KeyID = keys[i&7]
		o.Print = prints[i&1023]
		o.MaxTokens = 512
		o.Time = t0.Add(time.Duration(i) * time.Millisecond)
		d.Observe(o)
		i++
	}
}

func BenchmarkObserveWithPrompt(b *testing.B) {
	d := benchDetector(b)
	r := rand.New(rand.NewPCG(1, 1))
	prompt := randomPrompt(r, 180, 180) // ≈ 1 KB
	b.SetBytes(int64(len(prompt)))
	o := keyObs("k1")
	o.Prompt = prompt
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		o.Time = t0.Add(time.Duration(i) * time.Millisecond)
		d.Observe(o)
		i++
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	d := benchDetector(b)
	keys := make([]string, 256)
	for i := range keys {
		keys[i] = fmtN("key_%04d", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		o := keyObs("")
		i := 0
		for pb.Next() {
			o.KeyID = keys[i&255]
			o.Print = Print{Exact: uint64(i)*0x9e3779b97f4a7c15 | 1}
			o.Time = t0.Add(time.Duration(i) * time.Millisecond)
			d.Observe(o)
			i++
		}
	})
}

func BenchmarkAuthFailure(b *testing.B) {
	d := benchDetector(b)
	o := failure("")
	ips := make([]string, 64)
	for i := range ips {
		ips[i] = fmtN("192.0.2.%d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		o.ClientIP = ips[i&63]
		o.Time = t0.Add(time.Duration(i) * 10 * time.Second)
		d.Observe(o)
		i++
	}
}

func BenchmarkKilled(b *testing.B) {
	d := benchDetector(b)
	d.Kill(b.Context(), KillModel, "blocked-model", true)
	d.Kill(b.Context(), KillKey, "key_bad", true)
	b.ReportAllocs()
	for b.Loop() {
		d.Killed("key_0123456789abcdef", "acme", "gpt-4o-mini")
	}
}

func BenchmarkIPBlocked(b *testing.B) {
	d := benchDetector(b)
	b.ReportAllocs()
	for b.Loop() {
		d.IPBlocked("2001:db8::1")
	}
}

func BenchmarkFingerprint1KB(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	prompt := randomPrompt(r, 180, 180)
	b.SetBytes(int64(len(prompt)))
	b.ReportAllocs()
	for b.Loop() {
		Fingerprint(prompt)
	}
}
