package realscan

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"rampart/internal/guard"
	"rampart/internal/policy"
	"rampart/internal/redact"
)

// benchAnswer is a typical answer: prose, a list, code, an e-mail and a
// link, about 4 KB.
var benchAnswer = strings.Repeat("Here is how to configure the client. First, install the package with `go get example.com/client`, "+
	"then create a config file:\n\n```yaml\nendpoint: https://api.example.com/v1\ntimeout: 30s\nretries: 3\n```\n\n"+
	"1. Set the endpoint.\n2. Contact support@example.com if the handshake fails.\n3. See [the guide](https://go.dev/doc) for details. ", 10)

func benchPolicy(b testing.TB) *policy.Policy {
	b.Helper()
	set, err := policy.Parse([]byte("extends: balanced\nscanners: {injection: off}\n"))
	if err != nil {
		b.Fatal(err)
	}
	return set.Default
}

func benchOutput(pol *policy.Policy) *guard.Output {
	v := redact.NewVault()
	v.Placeholder("EMAIL", "carol@private.example")
	c, _ := guard.NewContext(pol, []string{"You are a helpful assistant for Acme support."}, nil)
	return &guard.Output{Policy: pol, Vault: v, Context: c}
}

// BenchmarkRealStream feeds a typical answer in 4-byte deltas (about one
// token each) through the balanced policy's real output scanners.
func BenchmarkRealStream(b *testing.B) {
	o := benchOutput(benchPolicy(b))
	b.SetBytes(int64(len(benchAnswer)))
	for b.Loop() {
		s := o.NewStream(context.Background(), 0, "choices.0.delta.content")
		for i := 0; i < len(benchAnswer); i += 4 {
			s.Write(benchAnswer[i:min(i+4, len(benchAnswer))])
		}
		s.Close()
	}
}

// BenchmarkRealWhole is the non-streamed check of the same answer.
func BenchmarkRealWhole(b *testing.B) {
	o := benchOutput(benchPolicy(b))
	body := []byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":` + quote(benchAnswer) + `}}]}`)
	b.SetBytes(int64(len(benchAnswer)))
	for b.Loop() {
		if _, _, _, err := o.CheckResponse(context.Background(), body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRealFirstByte streams a 2 KB answer token by token and reports
// how many bytes had arrived when the first byte was released.
func BenchmarkRealFirstByte(b *testing.B) {
	o := benchOutput(benchPolicy(b))
	text := benchAnswer[:2048]
	for b.Loop() {
		s := o.NewStream(context.Background(), 0, "choices.0.delta.content")
		first := -1
		for i := 0; i < len(text); i += 4 {
			if out, _ := s.Write(text[i:min(i+4, len(text))]); out != "" && first < 0 {
				first = min(i+4, len(text))
			}
		}
		if first < 0 {
			first = len(text)
		}
		s.Close()
		b.ReportMetric(float64(first), "bytes-before-first-release")
	}
}

// BenchmarkRealConcurrentStreams holds 1,000 streams open at once, each
// 1,200 bytes into the answer, and reports heap bytes per stream.
func BenchmarkRealConcurrentStreams(b *testing.B) {
	o := benchOutput(benchPolicy(b))
	const n = 1000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		streams := make([]*guard.Stream, n)
		for i := range streams {
			streams[i] = o.NewStream(context.Background(), 0, "choices.0.delta.content")
			for j := 0; j < 1200; j += 6 {
				streams[i].Write(benchAnswer[j : j+6])
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/stream")
		runtime.KeepAlive(streams)
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
