package scan

import (
	"context"
	"errors"
	"testing"
	"time"
)

type funcScanner struct {
	name string
	scan func(ctx context.Context, t *Text) ([]Finding, error)
}

func (s funcScanner) Name() string { return s.name }
func (s funcScanner) Scan(ctx context.Context, t *Text) ([]Finding, error) {
	return s.scan(ctx, t)
}

func TestPipelineTimeout(t *testing.T) {
	// polls Err, as the built-in scanners do between views
	polling := funcScanner{"polling", func(ctx context.Context, _ *Text) ([]Finding, error) {
		for ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		return nil, ctx.Err()
	}}
	// waits on Done
	waiting := funcScanner{"waiting", func(ctx context.Context, _ *Text) ([]Finding, error) {
		if _, ok := ctx.Deadline(); !ok {
			return nil, errors.New("no deadline")
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	// returns a full answer, but late
	late := funcScanner{"late", func(ctx context.Context, _ *Text) ([]Finding, error) {
		time.Sleep(30 * time.Millisecond)
		return []Finding{{Type: "X"}}, nil
	}}
	quick := funcScanner{"quick", func(ctx context.Context, _ *Text) ([]Finding, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return []Finding{{Type: "Y", Span: Span{End: 1}}}, nil
	}}
	for _, parallel := range []int{1, 1 << 20} {
		p := &Pipeline{Scanners: []Scanner{polling, waiting, late, quick}, Timeout: 10 * time.Millisecond, Parallel: parallel}
		fs, fails := p.Run(context.Background(), &Text{Segments: []Segment{{Text: "hello"}}})
		if len(fs) != 1 || fs[0].Scanner != "quick" {
			t.Errorf("parallel %d: findings %+v", parallel, fs)
		}
		if len(fails) != 3 {
			t.Fatalf("parallel %d: failures %+v", parallel, fails)
		}
		for _, f := range fails {
			if !errors.Is(f.Err, ErrTimeout) {
				t.Errorf("parallel %d: %s: %v, want a timeout", parallel, f.Scanner, f.Err)
			}
		}
	}
}

func TestPipelineParentCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	seen := funcScanner{"seen", func(ctx context.Context, _ *Text) ([]Finding, error) {
		return nil, ctx.Err()
	}}
	p := &Pipeline{Scanners: []Scanner{seen}, Timeout: time.Minute}
	_, fails := p.Run(ctx, &Text{Segments: []Segment{{Text: "x"}}})
	if len(fails) != 1 || !errors.Is(fails[0].Err, context.Canceled) {
		t.Fatalf("failures %+v", fails)
	}
}

func TestPipelinePanic(t *testing.T) {
	boom := funcScanner{"boom", func(context.Context, *Text) ([]Finding, error) { panic("boom") }}
	p := &Pipeline{Scanners: []Scanner{boom}, Timeout: time.Second}
	_, fails := p.Run(context.Background(), &Text{Segments: []Segment{{Text: "x"}}})
	if len(fails) != 1 || fails[0].Scanner != "boom" {
		t.Fatalf("failures %+v", fails)
	}
}

func BenchmarkPipelineOverhead(b *testing.B) {
	nop := funcScanner{"nop", func(ctx context.Context, _ *Text) ([]Finding, error) { return nil, ctx.Err() }}
	p := &Pipeline{Scanners: []Scanner{nop, nop, nop, nop, nop, nop}, Timeout: time.Second}
	b.ReportAllocs()
	for b.Loop() {
		p.Run(context.Background(), &Text{Segments: []Segment{{Text: "hello"}}})
	}
}
