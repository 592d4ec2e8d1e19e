package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// pgURL is the PostgreSQL server these tests use; RAMPART_TEST_POSTGRES
// overrides it and "off" skips them.
func pgURL(t *testing.T) string {
	u := os.Getenv("RAMPART_TEST_POSTGRES")
	if u == "off" {
		t.Skip("RAMPART_TEST_POSTGRES=off")
	}
	if u == "" {
		u = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	return u
}

// openPG opens a Log on a unique table prefix and drops the tables when
// the test ends.
func openPG(t *testing.T, cfg Config) (*Log, string, string) {
	t.Helper()
	u := pgURL(t)
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "audit_test_" + hex.EncodeToString(b)
	cfg.Sinks = append(cfg.Sinks, SinkConfig{Type: SinkPostgres, TablePrefix: prefix})
	dir := t.TempDir()
	l, err := Open(cfg, dir, u, nil)
	if err != nil {
		t.Skipf("postgres not reachable: %v", err)
	}
	t.Cleanup(func() {
		l.Close()
		s, err := openPostgres(context.Background(), u, prefix)
		if err == nil {
			s.drop(context.Background())
			s.close()
		}
	})
	return l, dir, prefix
}

func TestPostgresRecordVerifyExport(t *testing.T) {
	l, dir, prefix := openPG(t, Config{CheckpointInterval: 25})
	recordN(t, l, 300, 16)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Sinks: []SinkConfig{{Type: SinkPostgres, TablePrefix: prefix}}}
	r, err := OpenReader(cfg, dir, pgURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, err := r.Verify(context.Background(), nil)
	if err != nil || n != 300 {
		t.Fatalf("verify = %d, %v; want 300", n, err)
	}
}

// TestPostgresTwoWriters appends to one chain from two Logs at once (two
// replicas sharing a database): the head lock keeps the chain linear.
func TestPostgresTwoWriters(t *testing.T) {
	l1, dir, prefix := openPG(t, Config{})
	cfg := Config{SigningKeyFile: dir + "/" + SigningKeyFile, HMACKeyFile: dir + "/" + HMACKeyFile, Sinks: []SinkConfig{{Type: SinkPostgres, TablePrefix: prefix}}}
	l2, err := Open(cfg, t.TempDir(), pgURL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { recordN(t, l2, 100, 4); close(done) }()
	recordN(t, l1, 100, 4)
	<-done
	l1.Close()
	l2.Close()
	r, err := OpenReader(Config{Sinks: cfg.Sinks}, dir, pgURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := r.Verify(context.Background(), nil); err != nil || n != 200 {
		t.Fatalf("verify = %d, %v; want 200", n, err)
	}
}

func TestTamperPostgres(t *testing.T) {
	runTamperCases(t, func(t *testing.T) (*Log, func() *sqlStore) {
		l, _, prefix := openPG(t, Config{CheckpointInterval: 5})
		return l, func() *sqlStore {
			s, err := openPostgres(context.Background(), pgURL(t), prefix)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}

func TestFailClosedPostgresUnreachable(t *testing.T) {
	cfg := Config{Sinks: []SinkConfig{{Type: SinkPostgres, URL: "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=1"}}}
	if _, err := Open(cfg, t.TempDir(), "", nil); err == nil {
		t.Fatal("Open succeeded with an unreachable database")
	}
}
