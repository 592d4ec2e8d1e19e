package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgTestURL is the server the PostgreSQL tests use; override with
// RAMPART_TEST_DATABASE.
func pgTestURL() string {
	if u := os.Getenv("RAMPART_TEST_DATABASE"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// pgSchema creates a schema of its own for one test run and returns a URL
// whose search_path selects it; the schema is dropped at the end. The test
// is skipped when PostgreSQL is unreachable, unless $CI is set.
func pgSchema(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	base := pgTestURL()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL unreachable at %s: %v", base, err)
		}
		t.Fatalf("PostgreSQL unreachable at %s (CI is set): %v", base, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "rampart_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestPostgresConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) (Store, func() Store) {
		u := pgSchema(t)
		open := func() Store {
			st, err := Open(context.Background(), t.TempDir(), u)
			if err != nil {
				t.Fatalf("Open(postgres): %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		return open(), open
	})
}

func TestPostgresMigrationsIdempotent(t *testing.T) {
	u := pgSchema(t)
	ctx := context.Background()
	for range 2 {
		st, err := OpenPostgres(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := st.pool.QueryRow(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		ms, _ := migrations("postgres")
		if n != len(ms) {
			t.Errorf("schema_version has %d rows, want %d", n, len(ms))
		}
		st.Close()
	}
}
