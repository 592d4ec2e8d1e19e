package audit

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRecordSQLite measures durable events per second with N
// concurrent writers sharing the group-commit writer (synchronous=FULL:
// every acknowledged event is fsynced). Throughput is bounded by commit
// latency times batch size, so it grows with concurrency.
func BenchmarkRecordSQLite(b *testing.B) {
	for _, sync := range []string{SyncFull, SyncNormal} {
		for _, w := range []int{1, 16, 64, 256} {
			b.Run(fmt.Sprintf("sync=%s/writers=%d", sync, w), func(b *testing.B) { benchRecord(b, sync, w) })
		}
	}
}

func benchRecord(b *testing.B, syncMode string, writers int) {
	l, err := Open(Config{Sync: syncMode}, b.TempDir(), "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ev := testEvent(1)
	var next atomic.Int64
	st0 := l.Stats()
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				e := *ev
				if err := l.Record(context.Background(), &e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	st := l.Stats()
	b.ReportMetric(float64(st.Recorded-st0.Recorded)/float64(max(st.Commits-st0.Commits, 1)), "events/commit")
}

// processCPU returns the process's user+system CPU time in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkRecordLatency measures the latency one Record adds, alone
// (1 writer: what a request pays at low concurrency) and under moderate
// concurrent load (16 writers), reported as p50 and p99, for each
// audit.sync mode.
func BenchmarkRecordLatency(b *testing.B) {
	for _, sync := range []string{SyncFull, SyncNormal} {
		for _, w := range []int{1, 16} {
			b.Run(fmt.Sprintf("sync=%s/writers=%d", sync, w), func(b *testing.B) { benchLatency(b, sync, w) })
		}
	}
}

func benchLatency(b *testing.B, syncMode string, writers int) {
	l, err := Open(Config{Sync: syncMode}, b.TempDir(), "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ev := testEvent(1)
	lat := make([][]time.Duration, writers)
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				e := *ev
				t0 := time.Now()
				if err := l.Record(context.Background(), &e); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}

// BenchmarkPrepare is the per-event CPU cost paid in the caller's
// goroutine: keyed hashes and the canonical encoding.
func BenchmarkPrepare(b *testing.B) {
	l, err := Open(Config{}, b.TempDir(), "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ev := testEvent(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.prepare(ev); err != nil {
			b.Fatal(err)
		}
	}
}
