package audit

import (
	"context"
	"errors"
	"testing"
	"time"

	"rampart/internal/config"
)

// A request event queued by Start and the response event queued after it
// share one commit once the caller waits; both are durable after Wait.
func TestStartSharesCommitWithResponse(t *testing.T) {
	l, dir := openTest(t, Config{GroupCommit: GroupCommitConfig{MaxDefer: config.Duration(time.Second)}})
	for i := range 5 {
		req, err := l.Start(context.Background(), testEvent(2*i))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := l.Start(context.Background(), testEvent(2*i+1))
		if err != nil {
			t.Fatal(err)
		}
		if err := req.Wait(); err != nil {
			t.Fatal(err)
		}
		if err := resp.Wait(); err != nil {
			t.Fatal(err)
		}
		if rs, ps := req.p.rec.Seq, resp.p.rec.Seq; rs == 0 || ps != rs+1 {
			t.Fatalf("seqs %d, %d", rs, ps)
		}
		if err := req.Wait(); err != nil {
			t.Fatal("second Wait:", err)
		}
	}
	if st := l.Stats(); st.Commits != 5 || st.Recorded != 10 {
		t.Errorf("stats %+v, want 5 commits of 10 events", st)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := verifyDir(t, dir); err != nil || n != 10 {
		t.Fatalf("verify: %d %v", n, err)
	}
}

// An event nobody waits for is committed after max_defer, and at Close.
func TestStartCommitsWithinMaxDefer(t *testing.T) {
	l, dir := openTest(t, Config{GroupCommit: GroupCommitConfig{MaxDefer: config.Duration(20 * time.Millisecond)}})
	if _, err := l.Start(context.Background(), testEvent(1)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Commits == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l.Stats().Commits != 1 {
		t.Fatal("the held event was not committed after max_defer")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, dir2 := openTest(t, Config{GroupCommit: GroupCommitConfig{MaxDefer: config.Duration(time.Second)}})
	if _, err := l2.Start(context.Background(), testEvent(2)); err != nil {
		t.Fatal(err)
	}
	if err := l2.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, dir2} {
		if n, err := verifyDir(t, d); err != nil || n != 1 {
			t.Errorf("%s: %d records, %v", d, n, err)
		}
	}
}

// strict_order: Start returns once the event is durable. After a failed
// commit Start does the same, so a failing store refuses at once.
func TestStartStrictAndUnhealthy(t *testing.T) {
	l, _ := openTest(t, Config{StrictOrder: true})
	p, err := l.Start(context.Background(), testEvent(1))
	if err != nil || p != nil {
		t.Fatalf("strict Start: %v %v", p, err)
	}
	if l.Stats().Recorded != 1 {
		t.Fatal("strict Start returned before the event was durable")
	}

	l2, _ := openTest(t, Config{Timeout: config.Duration(time.Second)})
	if err := l2.Record(context.Background(), testEvent(1)); err != nil {
		t.Fatal(err)
	}
	l2.store.w.Close() // the store goes away
	p, err = l2.Start(context.Background(), testEvent(2))
	if err != nil {
		t.Fatal("Start on a healthy log:", err)
	}
	if err := p.Wait(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Wait on a failed commit: %v", err)
	}
	p, err = l2.Start(context.Background(), testEvent(3))
	if !errors.Is(err, ErrUnavailable) || p != nil {
		t.Fatalf("Start after a failed commit: %v %v, want ErrUnavailable at once", p, err)
	}
}
