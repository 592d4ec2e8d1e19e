package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"rampart/internal/config"
)

func testEvent(i int) *Event {
	return &Event{
		Time:      time.Date(2026, 11, 22, 10, 0, 0, i, time.UTC),
		Kind:      "request",
		RequestID: fmt.Sprintf("req-%d", i),
		KeyID:     "key_abc",
		Tenant:    "acme",
		ClientIP:  "192.0.2.7",
		Model:     "gpt-4o-mini",
		Decision:  "allow",
		Rules:     []string{"pii.email"},
		Findings:  []Finding{{Type: "email", Scanner: "pii", Count: 2, Score: 0.5}},
		Status:    200,
		Prompt:    fmt.Sprintf("secret prompt %d <b>&", i),
	}
}

func openTest(t *testing.T, cfg Config) (*Log, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := Open(cfg, dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, dir
}

func recordN(t *testing.T, l *Log, n, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := l.Record(context.Background(), testEvent(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func verifyDir(t *testing.T, dir string) (int, error) {
	t.Helper()
	r, err := OpenReader(Config{}, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.Verify(context.Background(), nil)
}

func TestRecordAndVerify(t *testing.T) {
	l, dir := openTest(t, Config{CheckpointInterval: 10})
	recordN(t, l, 200, 8)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := verifyDir(t, dir)
	if err != nil || n != 200 {
		t.Fatalf("verify = %d, %v; want 200, nil", n, err)
	}
	// Reopen and continue the chain.
	l2, err := Open(Config{CheckpointInterval: 10}, dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := testEvent(1000)
	if err := l2.Record(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if e.Seq != 201 {
		t.Errorf("seq = %d, want 201", e.Seq)
	}
	l2.Close()
	if n, err := verifyDir(t, dir); err != nil || n != 201 {
		t.Fatalf("verify = %d, %v; want 201, nil", n, err)
	}
}

func TestContentNeverStoredInClear(t *testing.T) {
	l, dir := openTest(t, Config{})
	e := testEvent(1)
	e.PromptText = "should be cleared in hashed mode"
	if err := l.Record(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	l.Close()
	r, _ := OpenReader(Config{}, dir, "")
	defer r.Close()
	var buf bytes.Buffer
	if _, err := r.Export(context.Background(), &buf, time.Time{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "secret prompt") || strings.Contains(out, "should be cleared") {
		t.Fatalf("export holds prompt text:\n%s", out)
	}
	if !strings.Contains(out, l.Hasher().Hash(e.Prompt)) {
		t.Fatalf("export lacks the prompt's keyed hash:\n%s", out)
	}
}

func TestFailClosedWhenStoreDown(t *testing.T) {
	l, _ := openTest(t, Config{Timeout: 0})
	if err := l.Record(context.Background(), testEvent(1)); err != nil {
		t.Fatal(err)
	}
	l.store.w.Close() // the primary store goes away
	err := l.Record(context.Background(), testEvent(2))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Record = %v, want ErrUnavailable", err)
	}
	if got := l.Stats().Failed; got != 1 {
		t.Errorf("failed = %d, want 1", got)
	}
}

func TestRecordAfterClose(t *testing.T) {
	l, _ := openTest(t, Config{})
	l.Close()
	if err := l.Record(context.Background(), testEvent(1)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Record after Close = %v, want ErrUnavailable", err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{
		Content:     "verbatim",
		Retention:   -1,
		GroupCommit: GroupCommitConfig{MaxDefer: config.Duration(2 * time.Second)},
		Sinks: []SinkConfig{
			{Type: SinkSQLite}, {Type: SinkPostgres, URL: "mysql://x"},
			{Type: SinkJSONL}, {Type: SinkSyslog, Network: "carrier-pigeon"},
			{Type: SinkWebhook, URL: "ftp://x"}, {Type: "kafka"},
		},
	}
	ck := config.NewChecker().Field("audit")
	c.Validate(ck)
	got := ck.Err().Error()
	for _, want := range []string{
		"audit.content: unknown content mode", "audit.retention", "audit.sinks[1].url",
		"audit.sinks[2].path", "audit.sinks[3].network", "audit.sinks[3].address",
		"audit.sinks[4].url", "audit.sinks[5].type", "audit.sinks: at most one primary",
		"audit.group_commit.max_defer",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	ck = config.NewChecker()
	(&Config{}).Validate(ck)
	if err := ck.Err(); err != nil {
		t.Errorf("empty config: %v", err)
	}
}

// TestSQLiteTwoWritersAndCheckpoints appends to one SQLite chain from two
// Logs (two processes on one file) while a third stores checkpoints. Each
// writer remembers the head it committed last; every move of the head by
// another writer must be noticed, or the chain would fork.
func TestSQLiteTwoWritersAndCheckpoints(t *testing.T) {
	l1, dir := openTest(t, Config{CheckpointInterval: 7})
	l2, err := Open(Config{CheckpointInterval: 7}, dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	l3, err := Open(Config{}, dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { recordN(t, l2, 150, 3); close(done) }()
	stop := make(chan struct{})
	cpDone := make(chan struct{})
	go func() {
		defer close(cpDone)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				if err := l3.Checkpoint(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	recordN(t, l1, 150, 3)
	<-done
	close(stop)
	<-cpDone
	for _, l := range []*Log{l1, l2, l3} {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenReader(Config{}, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := r.Verify(context.Background(), nil); err != nil || n != 300 {
		t.Fatalf("verify = %d, %v; want 300", n, err)
	}
}
