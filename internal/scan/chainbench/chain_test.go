package chainbench

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"rampart/internal/normalize"
	"rampart/internal/policy"
	"rampart/internal/scan"
	_ "rampart/internal/scan/all"
)

func balanced(tb testing.TB) *policy.Policy {
	tb.Helper()
	set, err := policy.Builtin("balanced")
	if err != nil {
		// Another scanner (a model file being retrained) may not build in
		// this checkout; the chain cannot be measured then.
		tb.Skipf("balanced policy does not compile: %v", err)
	}
	return set.Default
}

func TestCorpus(t *testing.T) {
	for _, size := range []int{1 << 10, 4 << 10, 64 << 10} {
		for i, p := range Corpus(size, 16) {
			if !utf8.ValidString(p) {
				t.Fatalf("size %d prompt %d: invalid UTF-8", size, i)
			}
			if len(p) > size || len(p) < size-8 {
				t.Fatalf("size %d prompt %d: len %d", size, i, len(p))
			}
		}
	}
	if !slices.Equal(Corpus(1024, 8), Corpus(1024, 8)) {
		t.Fatal("corpus is not deterministic")
	}
}

// TestChainFindsPlanted checks that the benchmark measures a chain that
// works: planted PII and secrets are found and plain prose passes.
func TestChainFindsPlanted(t *testing.T) {
	pol := balanced(t)
	scanOne := func(s string) policy.Decision {
		tx := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Role: "user", Text: s}}}
		return pol.Scan(context.Background(), tx)
	}
	for _, s := range append(slices.Clone(piiLines), secretLines...) {
		if d := scanOne(s); len(d.Findings) == 0 {
			t.Errorf("no finding in %q", s)
		}
	}
	if d := scanOne(Prompt("prose", 4096, newRand())); d.Action > policy.Flag {
		t.Errorf("prose: action %v, findings %+v", d.Action, d.Findings)
	}
}

// BenchmarkChain runs Policy.Scan (normalizer + every default input
// scanner of the balanced policy) over mixed prompts.
func BenchmarkChain(b *testing.B) {
	set, err := policy.Builtin("balanced")
	if err != nil {
		b.Skipf("balanced policy does not compile here (%v); BenchmarkScanners measures the scanners that build", err)
	}
	pol := set.Default
	for _, size := range []int{1 << 10, 4 << 10, 64 << 10} {
		corpus := Corpus(size, 64)
		total := 0
		for _, p := range corpus {
			total += len(p)
		}
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			ctx := context.Background()
			lat := make([]time.Duration, 0, 1024)
			b.SetBytes(int64(total / len(corpus)))
			b.ReportAllocs()
			i := 0
			c0 := CPUTime()
			for b.Loop() {
				t0 := time.Now()
				tx := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Role: "user", Path: "messages.0.content", Text: corpus[i%len(corpus)]}}}
				d := pol.Scan(ctx, tx)
				if len(d.Failures) > 0 {
					b.Fatal(d.Failures)
				}
				lat = append(lat, time.Since(t0))
				i++
			}
			reportCPU(b, c0, i, total/len(corpus))
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkScanners measures each default input scanner (and the
// normalizer) on its own over prepared views, to show each one's share.
func BenchmarkScanners(b *testing.B) {
	pl := &scan.Pipeline{Normalizer: normalize.Views}
	for _, spec := range scan.Specs() {
		if !spec.Input || !spec.Default {
			continue
		}
		s, err := spec.New(func(any) error { return nil })
		if err != nil {
			b.Logf("skipping %s: %v", spec.Name, err)
			continue
		}
		pl.Scanners = append(pl.Scanners, s)
	}
	for _, size := range []int{1 << 10, 4 << 10, 64 << 10} {
		corpus := Corpus(size, 64)
		total := 0
		for _, p := range corpus {
			total += len(p)
		}
		texts := make([]*scan.Text, len(corpus))
		for i, p := range corpus {
			texts[i] = &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Role: "user", Text: p}}}
			texts[i].Prepare(pl.Normalizer)
		}
		b.Run(fmt.Sprintf("normalize/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(total / len(corpus)))
			b.ReportAllocs()
			i := 0
			c0 := CPUTime()
			for b.Loop() {
				tx := &scan.Text{Direction: scan.Input, Segments: texts[i%len(texts)].Segments}
				tx.Prepare(pl.Normalizer)
				i++
			}
			reportCPU(b, c0, i, total/len(corpus))
		})
		for _, s := range pl.Scanners {
			b.Run(fmt.Sprintf("%s/%dKB", s.Name(), size>>10), func(b *testing.B) {
				ctx := context.Background()
				b.SetBytes(int64(total / len(corpus)))
				b.ReportAllocs()
				i := 0
				c0 := CPUTime()
				for b.Loop() {
					if _, err := s.Scan(ctx, texts[i%len(texts)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				reportCPU(b, c0, i, total/len(corpus))
			})
		}
	}
}

// reportCPU adds MB/s per CPU-second (process CPU time, GC included), which
// other jobs on a shared machine disturb less than wall time.
func reportCPU(b *testing.B, c0 time.Duration, n, size int) {
	if d := CPUTime() - c0; d > 0 && n > 0 {
		b.ReportMetric(float64(n*size)/d.Seconds()/1e6, "cpuMB/s")
	}
}
