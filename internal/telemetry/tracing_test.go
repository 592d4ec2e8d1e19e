package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestTracingOffByDefault(t *testing.T) {
	before := otel.GetTracerProvider()
	shutdown, err := SetupTracing(context.Background(), TracingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	if otel.GetTracerProvider() != before {
		t.Fatal("disabled tracing replaced the global tracer provider")
	}
	r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
	_, span := StartRequestSpan(r, "/v1/chat/completions")
	if span.IsRecording() {
		t.Error("span records while tracing is off")
	}
	span.End()
}

func TestTracingExportsOTLP(t *testing.T) {
	var mu sync.Mutex
	var spans []string
	var attrs []string
	var traceIDs [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.Header.Get("X-Api-Key") != "k" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans = append(spans, s.Name)
					traceIDs = append(traceIDs, s.TraceId)
					for _, a := range s.Attributes {
						attrs = append(attrs, a.Key)
					}
				}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Write(b)
	}))
	defer srv.Close()

	ratio := 1.0
	shutdown, err := SetupTracing(context.Background(), TracingConfig{Endpoint: srv.URL, SampleRatio: &ratio, Headers: map[string]string{"X-Api-Key": "k"}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ctx, span := StartRequestSpan(r, "/v1/chat/completions")
	_, child := StartSpan(ctx, "upstream", attribute.String("upstream", "openai"))
	h := http.Header{}
	InjectHeaders(ctx, h)
	if h.Get("traceparent") == "" {
		t.Error("no traceparent injected")
	}
	child.End()
	EndRequestSpan(span, 200, attribute.String("rampart.decision", "allow"))
	if err := shutdown(context.Background()); err != nil { // flushes
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(spans) != 2 {
		t.Fatalf("collector got spans %v, want 2", spans)
	}
	want := map[string]bool{"POST /v1/chat/completions": true, "upstream": true}
	for _, s := range spans {
		if !want[s] {
			t.Errorf("unexpected span %q", s)
		}
	}
	for _, id := range traceIDs {
		if got := string(id); got != string([]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}) {
			t.Errorf("span not in the caller's trace: %x", id)
		}
	}
	found := false
	for _, a := range attrs {
		found = found || a == "http.response.status_code"
	}
	if !found {
		t.Errorf("status attribute missing: %v", attrs)
	}
}

func TestTracingBadConfig(t *testing.T) {
	bad := 2.0
	for _, c := range []TracingConfig{{Endpoint: "collector:4318"}, {Endpoint: "http://c:4318", SampleRatio: &bad}} {
		if _, err := SetupTracing(context.Background(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
