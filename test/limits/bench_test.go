package limits

import (
	"net/http"
	"sort"
	"testing"
	"time"

	"rampart/internal/demo"
)

// BenchmarkLimitedRequest measures what limits add to a request end to
// end: one plain chat completion at a time through `rampart serve`, with
// no limits, with rpm+tpm on the key and a daily budget on the tenant in
// memory, and the same through Redis. Reported: ns/op and p50/p99.
func BenchmarkLimitedRequest(b *testing.B) {
	const limited = "limits:\n  keys: {rpm: 1000000000, tpm: 1000000000}\n  tenant_default: {daily_tokens: 1000000000000}\n"
	for _, c := range []struct{ name, yaml string }{
		{"none", "limits: {}\n"},
		{"memory", limited},
		{"redis", limited},
	} {
		b.Run(c.name, func(b *testing.B) {
			data := b.TempDir()
			k := createKey(b, data, "--tenant", "bench")
			args := []string{"--upstream", upstream(b, &demo.Server{Name: "fake"})}
			yaml := c.yaml
			if c.name == "redis" {
				addr := sharedRedis(b)
				yaml += "  redis_key_prefix: " + prefix(b, addr) + "\n"
				args = append(args, "--redis", "redis://"+addr+"/0")
			}
			g := startGateway(b, data, append(args, "--config", writeConfig(b, yaml))...)
			url := g.URL + "/v1/chat/completions"
			body := chat("demo", "hello there", "max_tokens", 16)
			for range 20 { // warm up connections, caches and the script
				if r := post(b, nil, url, k.Key, body); r.Status != http.StatusOK {
					b.Fatalf("%d %s", r.Status, r.Body)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				r := post(b, nil, url, k.Key, body)
				lat = append(lat, time.Since(t0))
				if r.Status != http.StatusOK {
					b.Fatalf("%d %s", r.Status, r.Body)
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
