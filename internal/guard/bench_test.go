package guard_test

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"

	"rampart/internal/guard"
	"rampart/internal/redact"
)

var benchText = strings.Repeat("The quick brown fox jumps over the lazy dog; mail bob@example.com, see [docs](https://docs.acme.com/x). ", 40)

func benchOutput(b *testing.B) *guard.Output {
	pol := testPolicy(b, "  urls: {allowed_hosts: [docs.acme.com]}\n")
	v := redact.NewVault()
	v.Placeholder("EMAIL", "carol@private.example")
	c, _ := guard.NewContext(pol, []string{propSystem}, nil)
	return &guard.Output{Policy: pol, Vault: v, Context: c}
}

// BenchmarkStreamThroughput feeds text in 4-byte deltas (about one token
// each) and reports the stream scanners' throughput.
func BenchmarkStreamThroughput(b *testing.B) {
	o := benchOutput(b)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		s := o.NewStream(context.Background(), 0, "choices.0.delta.content")
		for i := 0; i < len(benchText); i += 4 {
			s.Write(benchText[i:min(i+4, len(benchText))])
		}
		s.Close()
	}
}

// BenchmarkWholeCheck is the non-streamed check of the same text.
func BenchmarkWholeCheck(b *testing.B) {
	o := benchOutput(b)
	body := []byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":"` + benchText + `"}}]}`)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		if _, _, _, err := o.CheckResponse(context.Background(), body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstToken measures the work RelaySSE adds to the event that
// releases the first text: an upstream event carrying more than the
// holdback goes in, a chunk event comes out.
func BenchmarkFirstToken(b *testing.B) {
	o := benchOutput(b)
	up := chatSSE(strings.Repeat("word ", 80))
	for b.Loop() {
		var out bytes.Buffer
		if _, err := o.RelaySSE(context.Background(), &out, strings.NewReader(up), guard.SSEOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcurrentStreams holds 1,000 streams open at once, each with
// its holdback filled, and reports the heap bytes per stream.
func BenchmarkConcurrentStreams(b *testing.B) {
	o := benchOutput(b)
	const n = 1000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		streams := make([]*guard.Stream, n)
		for i := range streams {
			streams[i] = o.NewStream(context.Background(), 0, "choices.0.delta.content")
			for j := 0; j < 1200; j += 6 {
				streams[i].Write(benchText[j : j+6])
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/stream")
		runtime.KeepAlive(streams)
	}
}

// BenchmarkConcurrentRelays runs 1,000 RelaySSE calls at once, each
// paused mid-stream, and reports the heap bytes per relay.
func BenchmarkConcurrentRelays(b *testing.B) {
	o := benchOutput(b)
	const n = 1000
	head := chatSSE(benchText[:1200])
	head = head[:strings.LastIndex(head, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\",\"system_fingerprint\":\"fp\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")]
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var wg, started sync.WaitGroup
		pws := make([]*io.PipeWriter, n)
		started.Add(n)
		for i := range n {
			pr, pw := io.Pipe()
			pws[i] = pw
			wg.Go(func() {
				o.RelaySSE(context.Background(), io.Discard, io.MultiReader(strings.NewReader(head), signal(&started), pr), guard.SSEOptions{})
			})
		}
		started.Wait()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/relay")
		for _, pw := range pws {
			pw.Close()
		}
		wg.Wait()
	}
}

// signal is a reader that marks wg done when first read (the relay has
// consumed everything before it) and then reports EOF.
func signal(wg *sync.WaitGroup) io.Reader { return &signalReader{wg: wg} }

type signalReader struct {
	wg   *sync.WaitGroup
	once sync.Once
}

func (s *signalReader) Read([]byte) (int, error) {
	s.once.Do(s.wg.Done)
	return 0, io.EOF
}
