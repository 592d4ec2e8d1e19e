package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// TracingConfig is the `tracing:` section. Tracing is off unless Endpoint
// is set: Rampart then opens no connection of its own, and the OTEL_*
// environment variables are ignored.
type TracingConfig struct {
	// Endpoint is the OTLP/HTTP collector URL, e.g.
	// "http://otel-collector:4318" ("/v1/traces" is added when the URL
	// has no path).
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the fraction of new traces sampled, 0 to 1 (default
	// 1). A sampled parent (traceparent header) is always followed.
	SampleRatio *float64 `yaml:"sample_ratio"`
	// Headers are sent with each export (e.g. an API key for a hosted
	// collector).
	Headers map[string]string `yaml:"headers"`
	// ServiceName defaults to "rampart".
	ServiceName string `yaml:"service_name"`
	// Timeout bounds one export (default 10s).
	Timeout time.Duration `yaml:"-"`
}

// Enabled reports whether tracing is configured.
func (c TracingConfig) Enabled() bool { return c.Endpoint != "" }

func (c TracingConfig) validate() (*url.URL, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tracing.endpoint: want an http(s) URL, got %q", c.Endpoint)
	}
	if c.SampleRatio != nil && (*c.SampleRatio < 0 || *c.SampleRatio > 1) {
		return nil, errors.New("tracing.sample_ratio: want a number between 0 and 1")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u, nil
}

// SetupTracing installs an OTLP/HTTP exporter as the global tracer
// provider, with W3C trace-context propagation. When cfg is not enabled
// it changes nothing and returns a no-op shutdown. Call shutdown at exit
// to flush buffered spans.
func SetupTracing(ctx context.Context, cfg TracingConfig) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if !cfg.Enabled() {
		return noop, nil
	}
	u, err := cfg.validate()
	if err != nil {
		return noop, err
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(u.String())}
	if len(cfg.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(cfg.Headers))
	}
	if cfg.Timeout > 0 {
		opts = append(opts, otlptracehttp.WithTimeout(cfg.Timeout))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return noop, fmt.Errorf("tracing: %w", err)
	}
	name := cfg.ServiceName
	if name == "" {
		name = "rampart"
	}
	ratio := 1.0
	if cfg.SampleRatio != nil {
		ratio = *cfg.SampleRatio
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(name))),
	)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}

// tracerName is the instrumentation scope of Rampart's spans.
const tracerName = "rampart"

// StartRequestSpan starts the server span for one gateway request,
// continuing a trace from the request's traceparent header. It is cheap
// (a non-recording span) when tracing is off. The caller ends the span,
// typically with EndRequestSpan.
func StartRequestSpan(r *http.Request, route string) (context.Context, trace.Span) {
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	return otel.Tracer(tracerName).Start(ctx, r.Method+" "+route,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("http.route", route),
		))
}

// EndRequestSpan records the outcome and ends the span. Never pass prompt
// text or keys as attributes.
func EndRequestSpan(span trace.Span, status int, attrs ...attribute.KeyValue) {
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	span.SetAttributes(attrs...)
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// StartSpan starts an internal span (a scanner run, an upstream call).
func StartSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return otel.Tracer(tracerName).Start(ctx, name, trace.WithAttributes(attrs...))
}

// InjectHeaders adds the current trace context to an outgoing request
// (the upstream call), so the provider's spans join the trace.
func InjectHeaders(ctx context.Context, h http.Header) {
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(h))
}
