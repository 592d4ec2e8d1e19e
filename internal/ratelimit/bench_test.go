package ratelimit

import (
	"context"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per decision (user + system, GC included):
// on a shared machine it measures the cost where wall time cannot.
func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64((cpuTime()-since).Nanoseconds())/float64(b.N), "cpu-ns/decision")
}

// reportP99 measures n decisions one at a time and reports their p99.
func reportP99(b *testing.B, n int, decide func(i int)) {
	b.Helper()
	lat := make([]time.Duration, n)
	for i := range n {
		t0 := time.Now()
		decide(i)
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[n*99/100].Nanoseconds()), "p99-ns/decision")
}

var keyIDs = func() []string {
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = "key-" + strconv.Itoa(i)
	}
	return ids
}()

// BenchmarkMemoryRPM: a simple requests-per-minute check on 1024 keys.
func BenchmarkMemoryRPM(b *testing.B) {
	ctx := context.Background()
	l := NewMemory(Config{Keys: Limits{RPM: 1 << 40}})
	var n atomic.Uint64
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		i := int(n.Add(1)) * 7919
		for pb.Next() {
			i++
			if _, err := l.Reserve(ctx, Request{KeyID: keyIDs[i&1023]}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu0)
	reportP99(b, 100_000, func(i int) { _, _ = l.Reserve(ctx, Request{KeyID: keyIDs[i&1023]}) })
}

// BenchmarkMemoryFull: every dimension on key, tenant and IP, then settle.
func BenchmarkMemoryFull(b *testing.B) {
	ctx := context.Background()
	big := Limits{RPM: 1 << 40, TPM: 1 << 40, Concurrency: 1 << 20, DailyTokens: 1 << 60, MonthlyTokens: 1 << 60, DailyCost: 1e8, MonthlyCost: 1e8}
	l := NewMemory(Config{Keys: big, TenantDefault: big, IP: big, Models: map[string]Price{"*": {Input: 1, Output: 2}}})
	full := func(i int) {
		res, err := l.Reserve(ctx, Request{KeyID: keyIDs[i&1023], Tenant: "t" + keyIDs[i&15], IP: keyIDs[(i>>3)&1023], EstTokens: 500, MaxTokens: 200})
		if err != nil {
			b.Fatal(err)
		}
		res.Settle(ctx, 300, 150)
	}
	var n atomic.Uint64
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		i := int(n.Add(1)) * 7919
		for pb.Next() {
			i++
			full(i)
		}
	})
	b.StopTimer()
	reportCPU(b, cpu0)
	reportP99(b, 100_000, full)
}

// BenchmarkRedisReserve: one decision (rpm + tpm + daily tokens on key
// and tenant) is one EVALSHA; settle is a second one.
func BenchmarkRedisReserve(b *testing.B) {
	rdb := testRedis(b)
	prefix := testPrefix(b, rdb)
	ctx := context.Background()
	big := Limits{RPM: 1 << 40, TPM: 1 << 40, DailyTokens: 1 << 60}
	l := newRedis(Config{RedisKeyPrefix: prefix, Keys: big, TenantDefault: big}, rdb, nil, nil)
	hook := &countHook{}
	rdb.AddHook(hook)
	decide := func(i int) {
		if _, err := l.Reserve(ctx, Request{KeyID: keyIDs[i&1023], Tenant: "t", EstTokens: 100}); err != nil {
			b.Fatal(err)
		}
	}
	decide(0) // load the script
	hook.cmds.Store(0)
	var n atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		i := int(n.Add(1)) * 7919
		for pb.Next() {
			i++
			decide(i)
		}
	})
	b.StopTimer()
	reportCPU(b, cpu0)
	b.ReportMetric(float64(hook.cmds.Load())/float64(b.N), "roundtrips/decision")
	reportP99(b, 5_000, decide)
}
