package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openSQLiteForTest(t *testing.T) (Store, func() Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), DBFile)
	open := func() Store {
		st, err := OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	return open(), open
}

func TestSQLiteConformance(t *testing.T) {
	runConformance(t, openSQLiteForTest)
}

func TestOpenCreatesPrivateDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "data")
	st, err := Open(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode = %04o, want 0700", fi.Mode().Perm())
	}
	fi, err = os.Stat(filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %04o, want 0600", fi.Mode().Perm())
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, t.TempDir(), "mysql://x"); err == nil {
		t.Error("Open accepted a non-postgres database URL")
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	if _, err := Open(ctx, file, ""); err == nil {
		t.Error("Open accepted a file as data directory")
	}
	if _, err := Open(ctx, "", ""); err == nil {
		t.Error("Open accepted an empty data directory")
	}
}

func TestSQLiteMigrationsIdempotentAndVersioned(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), DBFile)
	for range 2 {
		st, err := OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var n, max int
		if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&n, &max); err != nil {
			t.Fatal(err)
		}
		ms, _ := migrations("sqlite")
		if n != len(ms) || max != len(ms) {
			t.Errorf("schema_version has %d rows, max %d; want %d", n, max, len(ms))
		}
		var mode string
		st.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
		st.Close()
	}
	// A database from a newer rampart is refused, not damaged.
	st, _ := OpenSQLite(ctx, path)
	if _, err := st.db.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := OpenSQLite(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("opening a newer schema: err = %v", err)
	}
}

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := migrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("%d sqlite migrations, %d postgres", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d: %s vs %s", i+1, lite[i].name, pg[i].name)
		}
	}
}
