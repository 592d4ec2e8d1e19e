package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// chainFixture records 20 events (checkpoint every 5) and returns the store.
func chainFixture(t *testing.T, open func(t *testing.T) (*Log, func() *sqlStore)) (*sqlStore, *Log) {
	t.Helper()
	l, store := open(t)
	recordN(t, l, 20, 1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return store(), l
}

// tamperCases are applied to a 20-record chain with checkpoints every 5.
// Each names the record verify must report.
var tamperCases = []struct {
	name    string
	sql     []string // %s is the table prefix
	wantSeq uint64
}{
	{"alter", []string{`UPDATE %s_records SET event = replace(event, 'acme', 'evil') WHERE seq = 7`}, 7},
	{"alter_with_rehash", nil, 7}, // special-cased below
	{"remove", []string{`DELETE FROM %s_records WHERE seq = 7`}, 7},
	{"remove_first", []string{`DELETE FROM %s_records WHERE seq = 1`}, 1},
	{"reorder", []string{
		`UPDATE %s_records SET seq = -1 WHERE seq = 7`,
		`UPDATE %s_records SET seq = 7 WHERE seq = 8`,
		`UPDATE %s_records SET seq = 8 WHERE seq = -1`,
	}, 7},
	{"truncate_tail", []string{`DELETE FROM %s_records WHERE seq > 17`}, 18},
	{"truncate_to_checkpoint", []string{`DELETE FROM %s_records WHERE seq > 15`, `DELETE FROM %s_checkpoints WHERE seq > 15`}, 16},
	{"remove_head", []string{`DELETE FROM %s_head`}, 0},
	{"forge_head", []string{`UPDATE %s_head SET seq = 15, hash = (SELECT hash FROM %s_records WHERE seq = 15)`}, 15},
}

func runTamperCases(t *testing.T, open func(t *testing.T) (*Log, func() *sqlStore)) {
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			s, l := chainFixture(t, open)
			defer s.close()
			ctx := context.Background()
			if n, err := s.verify(ctx, l.PublicKey()); err != nil || n != 20 {
				t.Fatalf("before tampering: verify = %d, %v", n, err)
			}
			for _, q := range tc.sql {
				q = strings.ReplaceAll(q, "%s", s.prefix)
				if _, err := s.w.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if tc.name == "alter_with_rehash" {
				// An attacker who edits record 7 and recomputes its hash
				// still breaks the link from record 8.
				var prev, ev string
				s.w.QueryRowContext(ctx, fmt.Sprintf(`SELECT prev, event FROM %s_records WHERE seq = 7`, s.prefix)).Scan(&prev, &ev)
				ev = strings.Replace(ev, "acme", "evil", 1)
				h := ChainHash(7, prev, []byte(ev))
				if _, err := s.w.ExecContext(ctx, fmt.Sprintf(`UPDATE %s_records SET event = %s, hash = %s WHERE seq = 7`, s.prefix, s.ph(1), s.ph(2)), ev, h); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.verify(ctx, l.PublicKey())
			te, ok := errors.AsType[*TamperError](err)
			if !ok {
				t.Fatalf("verify after %s = %v, want a TamperError", tc.name, err)
			}
			if te.Seq != tc.wantSeq {
				t.Errorf("verify names record %d (%v), want %d", te.Seq, err, tc.wantSeq)
			}
		})
	}
}

func TestTamperSQLite(t *testing.T) {
	runTamperCases(t, func(t *testing.T) (*Log, func() *sqlStore) {
		l, dir := openTest(t, Config{CheckpointInterval: 5})
		return l, func() *sqlStore {
			r, err := OpenReader(Config{}, dir, "")
			if err != nil {
				t.Fatal(err)
			}
			return r.store
		}
	})
}

func exportFixture(t *testing.T) ([]string, *Log) {
	t.Helper()
	l, dir := openTest(t, Config{CheckpointInterval: 5})
	recordN(t, l, 20, 1)
	l.Close()
	r, err := OpenReader(Config{}, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var buf bytes.Buffer
	n, err := r.Export(context.Background(), &buf, time.Time{})
	if err != nil || n != 20 {
		t.Fatalf("export = %d, %v", n, err)
	}
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"), l
}

// lineOf returns the index of the record line with the given seq.
func lineOf(t *testing.T, lines []string, seq uint64) int {
	for i, ln := range lines {
		var r StoredRecord
		json.Unmarshal([]byte(ln), &r)
		if r.Type == "record" && r.Seq == seq {
			return i
		}
	}
	t.Fatalf("no record %d", seq)
	return -1
}

func TestTamperExport(t *testing.T) {
	lines, l := exportFixture(t)
	check := func(lines []string) (int, error) {
		return VerifyExport(strings.NewReader(strings.Join(lines, "\n")+"\n"), l.PublicKey())
	}
	if n, err := check(lines); err != nil || n != 20 {
		t.Fatalf("intact export: %d, %v", n, err)
	}
	// 20 records + 4 checkpoints (5, 10, 15, 20) + header.
	if len(lines) != 25 {
		t.Fatalf("export has %d lines, want 25", len(lines))
	}
	cases := []struct {
		name    string
		edit    func(ls []string) []string
		wantSeq uint64 // 0: any failure that is not a TamperError
	}{
		{"alter", func(ls []string) []string {
			i := lineOf(t, ls, 7)
			ls[i] = strings.Replace(ls[i], "acme", "evil", 1)
			return ls
		}, 7},
		{"remove", func(ls []string) []string {
			i := lineOf(t, ls, 7)
			return append(ls[:i], ls[i+1:]...)
		}, 7},
		{"reorder", func(ls []string) []string {
			i, j := lineOf(t, ls, 7), lineOf(t, ls, 8)
			ls[i], ls[j] = ls[j], ls[i]
			return ls
		}, 7},
		{"truncate", func(ls []string) []string { return ls[:lineOf(t, ls, 17)+1] }, 18},
		{"truncate_at_checkpoint", func(ls []string) []string { return ls[:lineOf(t, ls, 15)+2] }, 16},
		{"remove_first", func(ls []string) []string { return append(ls[:1], ls[2:]...) }, 1},
		{"forge_header", func(ls []string) []string {
			ls[0] = strings.Replace(ls[0], `"seq":20`, `"seq":19`, 1)
			return ls
		}, 19},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := check(tc.edit(append([]string(nil), lines...)))
			te, ok := errors.AsType[*TamperError](err)
			if !ok {
				t.Fatalf("got %v, want a TamperError", err)
			}
			if te.Seq != tc.wantSeq {
				t.Errorf("names record %d (%v), want %d", te.Seq, err, tc.wantSeq)
			}
		})
	}
	t.Run("no_header", func(t *testing.T) {
		if _, err := check(lines[1:]); err == nil {
			t.Fatal("export without header verified")
		}
	})
	t.Run("other_key", func(t *testing.T) {
		l2, _ := openTest(t, Config{})
		if _, err := VerifyExport(strings.NewReader(strings.Join(lines, "\n")), l2.PublicKey()); err == nil {
			t.Fatal("export verified against another key")
		}
	})
}
