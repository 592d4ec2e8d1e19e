package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rampart/internal/config"
	"rampart/internal/secret"
)

func TestJSONLSinkRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, _ := openTest(t, Config{Sinks: []SinkConfig{{Type: SinkJSONL, Path: path, MaxSize: 4096, MaxFiles: 3, Required: true}}})
	recordN(t, l, 60, 1)
	l.Close()
	seen := map[uint64]bool{}
	for _, p := range []string{path, path + ".1", path + ".2", path + ".3"} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatalf("missing rotated file: %v", err)
		}
		st, _ := f.Stat()
		if st.Size() > 4096 {
			t.Errorf("%s is %d bytes, over max_size", p, st.Size())
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r StoredRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			body, _ := Canonical(r.Event)
			if ChainHash(r.Seq, r.Prev, body) != r.Hash {
				t.Errorf("copy of record %d does not match its hash", r.Seq)
			}
			seen[r.Seq] = true
		}
		f.Close()
	}
	if _, err := os.Stat(path + ".4"); err == nil {
		t.Error("kept more than max_files rotated files")
	}
	// The newest records are all there; the oldest were rotated away.
	if !seen[60] || !seen[59] {
		t.Errorf("latest records missing from jsonl files")
	}
}

var rfc5424 = regexp.MustCompile(`^<(\d+)>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z host1 rampart \d+ audit - (\{.*\})$`)

func TestSyslogUDPAndTCP(t *testing.T) {
	t.Run("udp", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		l, _ := openTest(t, Config{Sinks: []SinkConfig{{Type: SinkSyslog, Network: "udp", Address: pc.LocalAddr().String(), Hostname: "host1", Facility: "local3", Required: true}}})
		e := testEvent(1)
		e.Decision = "block"
		if err := l.Record(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65536)
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		m := rfc5424.FindStringSubmatch(string(buf[:n]))
		if m == nil {
			t.Fatalf("not RFC 5424: %q", buf[:n])
		}
		if m[1] != strconv.Itoa(19*8+5) { // local3, notice for a block
			t.Errorf("PRI = %s, want %d", m[1], 19*8+5)
		}
		if strings.Contains(m[2], "secret prompt") {
			t.Error("syslog message holds prompt text")
		}
	})
	t.Run("tcp", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		got := make(chan string, 10)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				lenStr, err := br.ReadString(' ')
				if err != nil {
					return
				}
				n, _ := strconv.Atoi(strings.TrimSpace(lenStr))
				msg := make([]byte, n)
				if _, err := io.ReadFull(br, msg); err != nil {
					return
				}
				got <- string(msg)
			}
		}()
		l, _ := openTest(t, Config{Sinks: []SinkConfig{{Type: SinkSyslog, Network: "tcp", Address: ln.Addr().String(), Hostname: "host1", Required: true}}})
		recordN(t, l, 3, 1)
		for range 3 {
			m := rfc5424.FindStringSubmatch(<-got)
			if m == nil || m[1] != strconv.Itoa(16*8+6) {
				t.Fatalf("bad octet-counted RFC 5424 message: %v", m)
			}
		}
	})
}

func TestWebhookBatchesAndRetries(t *testing.T) {
	var mu sync.Mutex
	var got []uint64
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable) // retried
			return
		}
		if r.Header.Get("Authorization") != "Bearer siem" {
			http.Error(w, "no auth", http.StatusUnauthorized)
			return
		}
		var body struct{ Records []StoredRecord }
		json.NewDecoder(r.Body).Decode(&body)
		for _, rec := range body.Records {
			got = append(got, rec.Seq)
		}
	}))
	defer srv.Close()
	l, _ := openTest(t, Config{Sinks: []SinkConfig{{Type: SinkWebhook, URL: srv.URL, BatchSize: 10, FlushInterval: config.Duration(time.Hour), Headers: map[string]string{"Authorization": "Bearer siem"}}}})
	recordN(t, l, 25, 1)
	l.Close() // flushes the last partial batch
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 25 {
		t.Fatalf("webhook received %d records, want 25", len(got))
	}
	if calls != 4 { // one refused, then 10 + 10 + 5
		t.Errorf("webhook calls = %d, want 4", calls)
	}
}

// A required copy that fails makes Record fail closed.
func TestRequiredSinkDownFailsClosed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	l, _ := openTest(t, Config{Sinks: []SinkConfig{{Type: SinkWebhook, URL: srv.URL, Required: true, MaxRetries: 1}}})
	if err := l.Record(context.Background(), testEvent(1)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Record = %v, want ErrUnavailable", err)
	}
	// A background copy that fails does not.
	l2, _ := openTest(t, Config{Sinks: []SinkConfig{{Type: SinkWebhook, URL: srv.URL, MaxRetries: 1}}})
	if err := l2.Record(context.Background(), testEvent(1)); err != nil {
		t.Fatalf("Record with a failing optional sink = %v", err)
	}
}

func TestRetentionKeepsVerifiableChain(t *testing.T) {
	l, dir := openTest(t, Config{CheckpointInterval: 10})
	old := time.Now().Add(-100 * 24 * time.Hour)
	for i := range 35 {
		e := testEvent(i)
		e.Time = old.Add(time.Duration(i) * time.Second)
		if err := l.Record(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	recordN(t, l, 5, 1) // recent
	floor, err := l.Prune(context.Background(), time.Now().Add(-90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if floor != 31 { // last checkpoint among old records is at 30
		t.Fatalf("floor = %d, want 31", floor)
	}
	recordN(t, l, 5, 1)
	l.Close()
	n, err := verifyDir(t, dir)
	if err != nil || n != 45-30 {
		t.Fatalf("verify after prune = %d, %v; want 15", n, err)
	}
	r, _ := OpenReader(Config{}, dir, "")
	defer r.Close()
	// The export of a pruned chain starts with the anchor and verifies.
	var buf strings.Builder
	if _, err := r.Export(context.Background(), &buf, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n, err := VerifyExport(strings.NewReader(buf.String()), l.PublicKey()); err != nil || n != 15 {
		t.Fatalf("verify export after prune = %d, %v; want 15", n, err)
	}
	// Removing the oldest kept record is still detected.
	r.store.w.Exec(`DELETE FROM audit_records WHERE seq = 31`)
	if _, err := r.Verify(context.Background(), nil); !errors.Is(err, ErrTampered) {
		t.Fatalf("verify after deleting the oldest kept record = %v", err)
	}
}

func TestFullContentEncrypted(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "kek")
	os.WriteFile(keyFile, []byte(secret.GenerateKey()), 0o600)
	if err := func() error {
		ck := config.NewChecker()
		(&Config{Content: ContentFull}).Validate(ck)
		return ck.Err()
	}(); err == nil {
		t.Fatal("full content without encryption validated")
	}
	l, dir := openTest(t, Config{Content: ContentFull, Encryption: secret.Config{KeyFile: keyFile}})
	e := testEvent(1)
	e.Completion = "the answer"
	if err := l.Record(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	l.Close()
	raw, _ := os.ReadFile(filepath.Join(dir, SQLiteFile))
	wal, _ := os.ReadFile(filepath.Join(dir, SQLiteFile+"-wal"))
	for _, b := range [][]byte{raw, wal} {
		if strings.Contains(string(b), "secret prompt") || strings.Contains(string(b), "the answer") {
			t.Fatal("plaintext content on disk")
		}
	}
	r, _ := OpenReader(Config{}, dir, "")
	defer r.Close()
	var text string
	r.store.records(context.Background(), r.store.r, 0, func(rec *StoredRecord, _ int64) error {
		var ev Event
		json.Unmarshal(rec.Event, &ev)
		text = ev.PromptText
		return nil
	})
	got, err := l.OpenText(text)
	if err != nil || got != e.Prompt {
		t.Fatalf("OpenText = %q, %v; want the prompt", got, err)
	}
}
