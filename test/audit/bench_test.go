package audit_test

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkAuditLatencyThroughGateway measures what auditing adds to one
// request through `rampart serve` at low concurrency (one client, one
// request at a time, so each request pays its two commits: the request
// event before forwarding and the response event after): the p50 and p99
// with audit.sync full (default) and normal, against audit disabled.
//
//	go test -run '^$' -bench . -benchtime 2000x ./test/audit/
func BenchmarkAuditLatencyThroughGateway(b *testing.B) {
	up := fakeUpstream(b)
	for _, mode := range []struct{ name, yaml string }{
		{"audit=off", "audit: {disabled: true}\n"},
		{"sync=full", "audit: {sync: full}\n"},
		{"sync=normal", "audit: {sync: normal}\n"},
	} {
		b.Run(mode.name, func(b *testing.B) {
			data := b.TempDir()
			k := createKey(b, data, "--name", "bench")
			g := startGateway(b, data, "--upstream", up, "--config", writeFile(b, b.TempDir(), "rampart.yaml", mode.yaml))
			body := chat("Summarize the quarterly report in three sentences.")
			for range 50 { // warm up connections and caches
				g.post(b, k.Key, body, nil)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				if st, _, resp := g.post(b, k.Key, body, nil); st != 200 {
					b.Fatalf("%d %s", st, resp)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			g.stop()
		})
	}
}
