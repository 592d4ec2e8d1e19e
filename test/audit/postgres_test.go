package audit_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestPostgresChainThroughGateway: with a postgres audit store, the
// gateway's requests and the CLI's admin actions go to one chain in
// PostgreSQL, which `rampart audit verify` checks, and an altered row is
// detected. (Keys stay in SQLite, so the test touches only its own tables.)
func TestPostgresChainThroughGateway(t *testing.T) {
	url := os.Getenv("RAMPART_TEST_POSTGRES")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second); err != nil {
		t.Skip("no PostgreSQL at 127.0.0.1:5432")
	} else {
		c.Close()
	}
	prefix := fmt.Sprintf("rampart_audit_e2e_%d", time.Now().UnixNano())
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, tb := range []string{"records", "checkpoints", "head"} {
			if _, err := db.Exec("DROP TABLE IF EXISTS " + prefix + "_" + tb); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		db.Close()
	})
	data := t.TempDir()
	cfg := writeFile(t, t.TempDir(), "rampart.yaml", fmt.Sprintf("audit:\n  sinks:\n    - {type: postgres, url: %q, table_prefix: %s}\n", url, prefix))
	base := []string{"--data", data, "--config", cfg}

	out := rampart(t, append([]string{"keys", "create", "--name", "pg-e2e", "--json"}, base...)...)
	var k createdKey
	if err := jsonUnmarshal(out, &k); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, data, "--config", cfg, "--upstream", fakeUpstream(t))
	eventually(t, 5*time.Second, "key served", func() bool {
		st, _, _ := g.post(t, k.Key, chat("hello"), nil)
		return st == 200
	})
	if st, _, _ := g.post(t, "rk_nope_0123456789abcdef", chat("hello"), nil); st != 401 {
		t.Fatalf("bad key: %d", st)
	}
	rampart(t, append([]string{"keys", "revoke", k.ID}, base...)...)
	g.stop()

	vargs := base
	vout, code := verify(t, vargs...)
	var n int
	if code != 0 || func() bool { _, err := fmt.Sscanf(vout, "ok %d records", &n); return err != nil }() || n < 5 {
		t.Fatalf("verify: exit %d: %q", code, vout)
	}
	var actions []string
	rows, err := db.Query("SELECT event FROM " + prefix + "_records ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ev string
		if err := rows.Scan(&ev); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ev, `"kind":"admin"`) {
			actions = append(actions, ev)
		}
	}
	rows.Close()
	if len(actions) != 2 || !strings.Contains(actions[0], `"action":"key.create"`) || !strings.Contains(actions[1], `"action":"key.revoke"`) {
		t.Errorf("admin events in PostgreSQL: %q", actions)
	}

	if _, err := db.Exec("UPDATE "+prefix+"_records SET event = replace(event, '\"kind\":\"', '\"kind\":\"x') WHERE seq = $1", 2); err != nil {
		t.Fatal(err)
	}
	if vout, code := verify(t, vargs...); code == 0 || !strings.HasPrefix(vout, "FAILED at record 2:") {
		t.Fatalf("verify after altering record 2: exit %d: %q", code, vout)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(strings.TrimSpace(s)), v) }
