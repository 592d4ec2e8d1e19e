package telemetry

import (
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
)

// AsyncWriter decouples log output from the request path: Write copies the
// line into a bounded queue and returns; one goroutine writes it out. When
// the queue is full the line is dropped and counted, so a slow terminal or
// pipe can never stall a request.
type AsyncWriter struct {
	out     io.Writer
	ch      chan []byte
	dropped atomic.Int64
	wg      sync.WaitGroup
	once    sync.Once
}

// NewAsyncWriter starts the writer goroutine with a queue of n lines.
func NewAsyncWriter(out io.Writer, n int) *AsyncWriter {
	w := &AsyncWriter{out: out, ch: make(chan []byte, n)}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for b := range w.ch {
			_, _ = w.out.Write(b)
		}
	}()
	return w
}

// Write implements io.Writer.
func (w *AsyncWriter) Write(p []byte) (int, error) {
	b := make([]byte, len(p))
	copy(b, p)
	select {
	case w.ch <- b:
	default:
		w.dropped.Add(1)
	}
	return len(p), nil
}

// Dropped returns the number of lines dropped so far.
func (w *AsyncWriter) Dropped() int64 { return w.dropped.Load() }

// Close flushes the queue and stops the goroutine.
func (w *AsyncWriter) Close() error {
	w.once.Do(func() { close(w.ch) })
	w.wg.Wait()
	return nil
}

// NewLogger returns a JSON (or text) slog logger at level.
func NewLogger(w io.Writer, level slog.Level, text bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if text {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
