package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"
)

// Failure records a scanner that could not give an answer: an error, a
// timeout or a panic. The policy decides what a failure means (by default:
// block).
type Failure struct {
	Scanner string
	Err     error
}

// Pipeline runs a fixed set of scanners over a Text.
type Pipeline struct {
	Scanners   []Scanner
	Normalizer Normalizer
	// Timeout bounds each scanner; zero means no per-scanner bound.
	Timeout time.Duration
	// Parallel is the total text size from which scanners run
	// concurrently; below it they run one after another, which is cheaper
	// for the small prompts that dominate traffic.
	Parallel int
	// Observe, when set, is called once per scanner run (for metrics).
	Observe func(scanner string, d time.Duration, findings int, err error)
}

// ErrTimeout is reported in a Failure when a scanner ran past its timeout.
var ErrTimeout = errors.New("scanner timed out")

// Run prepares t's views and runs every scanner. Findings come back sorted
// by segment, start, then type; failures in scanner order.
func (p *Pipeline) Run(ctx context.Context, t *Text) ([]Finding, []Failure) {
	t.Prepare(p.Normalizer)
	if len(p.Scanners) == 0 {
		return nil, nil
	}
	type result struct {
		fs  []Finding
		err error
	}
	results := make([]result, len(p.Scanners))
	var bounds []deadlineCtx
	if p.Timeout > 0 {
		bounds = make([]deadlineCtx, len(p.Scanners))
	}
	run := func(i int) {
		sctx := ctx
		if bounds != nil {
			b := &bounds[i]
			b.Context, b.deadline = ctx, time.Now().Add(p.Timeout)
			defer b.release()
			sctx = b
		}
		fs, err := p.runOne(sctx, p.Scanners[i], t)
		results[i] = result{fs, err}
	}
	par := p.Parallel
	if par <= 0 {
		par = 64 << 10
	}
	if len(p.Scanners) > 1 && t.Len() >= par {
		var wg sync.WaitGroup
		for i := range p.Scanners {
			wg.Go(func() { run(i) })
		}
		wg.Wait()
	} else {
		for i := range p.Scanners {
			run(i)
		}
	}
	var findings []Finding
	var failures []Failure
	for i, r := range results {
		if r.err != nil {
			failures = append(failures, Failure{Scanner: p.Scanners[i].Name(), Err: r.err})
			continue
		}
		findings = append(findings, r.fs...)
	}
	SortFindings(findings)
	return findings, failures
}

func (p *Pipeline) runOne(ctx context.Context, s Scanner, t *Text) (fs []Finding, err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			fs, err = nil, fmt.Errorf("scanner %s panicked: %v\n%s", s.Name(), r, debug.Stack())
		}
		if p.Observe != nil {
			p.Observe(s.Name(), time.Since(start), len(fs), err)
		}
	}()
	fs, err = s.Scan(ctx, t)
	if err == nil && ctx.Err() != nil {
		// The scanner returned but its answer may be partial.
		err = ctx.Err()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w after %s", ErrTimeout, p.Timeout)
	}
	if err != nil {
		return nil, err
	}
	for i := range fs {
		if fs[i].Scanner == "" {
			fs[i].Scanner = s.Name()
		}
	}
	return fs, nil
}

// deadlineCtx bounds one scanner run by Pipeline.Timeout without arming a
// timer per run (context.WithTimeout cost four allocations and a timer
// heap insertion and removal for every scanner of every request): Err
// compares the clock with the deadline, and a real timer is made only if
// the scanner asks for Done. The built-in scanners only poll Err.
type deadlineCtx struct {
	context.Context // the Run's context
	deadline        time.Time

	mu     sync.Mutex
	timed  context.Context // made by Done; from then on Err follows it
	cancel context.CancelFunc
}

func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *deadlineCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timed == nil {
		c.timed, c.cancel = context.WithDeadline(c.Context, c.deadline)
	}
	return c.timed.Done()
}

func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	timed := c.timed
	c.mu.Unlock()
	if timed != nil {
		// Done was handed out: Err must agree with it.
		return timed.Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// release stops the timer Done may have made.
func (c *deadlineCtx) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}

// SortFindings orders findings by segment, start, longer first, then type.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Span.Segment, b.Span.Segment),
			cmp.Compare(a.Span.Start, b.Span.Start),
			cmp.Compare(b.Span.End, a.Span.End),
			cmp.Compare(a.Type, b.Type),
		)
	})
}
