package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"rampart/internal/openai"
)

// info is the per-request record the middleware and handlers share: it
// feeds the access log and the metrics. Never prompt text or keys.
type info struct {
	id       string
	start    time.Time
	route    string
	model    string
	keyID    string
	tenant   string
	decision string
	upstream string
	// upstreamDur is excluded from the gateway's own latency.
	upstreamDur time.Duration
	stream      bool
}

type infoKey struct{}

func getInfo(ctx context.Context) *info {
	if i, ok := ctx.Value(infoKey{}).(*info); ok {
		return i
	}
	return &info{}
}

// requestID keeps a caller's well-formed x-request-id or makes one, and
// sets it on the response before anything else can write.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		in := &info{id: id, start: time.Now()}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, in)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// statusWriter records the status and size, and passes Flush through.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recover turns a panic into a 500 in OpenAI's shape (when nothing was
// written yet) and keeps the process up.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				in := getInfo(r.Context())
				s.log.Error("panic", "request_id", in.id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeError(sw, openai.Errorf(http.StatusInternalServerError, openai.CodeInternal, "internal error (request %s)", in.id))
				}
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// accessLog writes one JSON line per request after it finished and
// updates the request metrics.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		api := len(r.URL.Path) > 4 && r.URL.Path[:4] == "/v1/"
		if api {
			s.metrics.InFlight.Inc()
			defer s.metrics.InFlight.Dec()
		}
		next.ServeHTTP(sw, r)
		in := getInfo(r.Context())
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		total := time.Since(in.start)
		if api {
			model := in.model
			if model == "" {
				model = "none"
			}
			dec := in.decision
			if dec == "" {
				dec = "none"
			}
			route := in.route
			if route == "" {
				route = "other"
			}
			s.metrics.Request(route, model, sw.status, dec)
			if in.route != "" {
				s.metrics.ObserveGateway(route, max(0, total-in.upstreamDur))
			}
		}
		if r.URL.Path == "/metrics" || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", in.id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.String("key_id", in.keyID),
			slog.String("tenant", in.tenant),
			slog.String("model", in.model),
			slog.String("decision", in.decision),
			slog.String("upstream", in.upstream),
			slog.Bool("stream", in.stream),
			slog.Int64("bytes", sw.bytes),
			slog.Float64("latency_ms", float64(total.Microseconds())/1000),
			slog.Float64("upstream_ms", float64(in.upstreamDur.Microseconds())/1000),
		)
	})
}

// writeError writes an OpenAI-shaped error.
func writeError(w http.ResponseWriter, e *openai.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.Body())
}
