package audit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Sink receives copies of committed records (with their seq and hashes,
// so a copy can be checked against the chain). Only the primary store
// holds the chain itself.
type Sink interface {
	Name() string
	Write(ctx context.Context, recs []*StoredRecord) error
	Close() error
}

// asyncSink feeds a non-required sink from a bounded queue, so a slow or
// broken copy never delays Record. Batches that do not fit are dropped
// and counted.
type asyncSink struct {
	s       Sink
	logger  *slog.Logger
	q       chan []*StoredRecord
	dropped atomic.Uint64
	wg      sync.WaitGroup
	once    sync.Once
}

func newAsyncSink(s Sink, logger *slog.Logger) *asyncSink {
	a := &asyncSink{s: s, logger: logger, q: make(chan []*StoredRecord, 256)}
	a.wg.Add(1)
	go a.run()
	return a
}

func (a *asyncSink) enqueue(recs []*StoredRecord) {
	select {
	case a.q <- recs:
	default:
		if a.dropped.Add(uint64(len(recs))) == uint64(len(recs)) {
			a.logger.Warn("audit sink falling behind; dropping copies", "sink", a.s.Name())
		}
	}
}

func (a *asyncSink) run() {
	defer a.wg.Done()
	for recs := range a.q {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := a.s.Write(ctx, recs); err != nil {
			a.dropped.Add(uint64(len(recs)))
			a.logger.Warn("audit sink write failed", "sink", a.s.Name(), "records", len(recs), "err", err)
		}
		cancel()
	}
}

func (a *asyncSink) close() error {
	a.once.Do(func() { close(a.q) })
	a.wg.Wait()
	return a.s.Close()
}
