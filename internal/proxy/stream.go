package proxy

import (
	"context"
	"io"
	"sync/atomic"
	"time"
)

// idleBody fails a Read that waits longer than timeout for upstream data
// by cancelling the attempt's context. Only the wait inside Read counts:
// time the caller spends between Reads (a slow client) is not idleness.
type idleBody struct {
	rc      io.ReadCloser
	timeout time.Duration
	cancel  context.CancelFunc
	timer   *time.Timer
	fired   atomic.Bool
}

func newIdleBody(rc io.ReadCloser, timeout time.Duration, cancel context.CancelFunc) *idleBody {
	b := &idleBody{rc: rc, timeout: timeout, cancel: cancel}
	b.timer = time.AfterFunc(timeout, b.expire)
	b.timer.Stop()
	return b
}

func (b *idleBody) expire() {
	b.fired.Store(true)
	b.cancel()
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.fired.Load() {
		return 0, ErrStreamIdle
	}
	b.timer.Reset(b.timeout)
	n, err := b.rc.Read(p)
	if !b.timer.Stop() && b.fired.Load() {
		// The timer cancelled the request during this Read: whatever the
		// transport returned, the cause is idleness.
		if err != io.EOF {
			return n, ErrStreamIdle
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel()
	return err
}
