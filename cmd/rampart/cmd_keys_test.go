package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"rampart/internal/auth"
	"rampart/internal/store"
)

// keysCLI runs `rampart keys args…` in process.
func keysCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runKeys(args, &out, &errb)
	return code, out.String(), errb.String()
}

func mustKeys(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := keysCLI(t, args...)
	if code != 0 {
		t.Fatalf("rampart keys %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

// keysTestEnv isolates a test from the caller's RAMPART_* settings.
func keysTestEnv(t *testing.T) string {
	for _, v := range []string{"RAMPART_DATA", "RAMPART_DATABASE", auth.EnvSecret, auth.EnvSecretFile} {
		t.Setenv(v, "")
	}
	return filepath.Join(t.TempDir(), "data")
}

type createdKey struct {
	ID        string   `json:"id"`
	Key       string   `json:"key"`
	Name      string   `json:"name"`
	Tenant    string   `json:"tenant"`
	Prefix    string   `json:"prefix"`
	Models    []string `json:"models"`
	RPM       int64    `json:"rpm"`
	TPM       int64    `json:"tpm"`
	Policy    string   `json:"policy"`
	State     string   `json:"state"`
	CreatedAt string   `json:"created_at"`
	ExpiresAt string   `json:"expires_at"`
}

func createJSON(t *testing.T, args ...string) createdKey {
	t.Helper()
	var k createdKey
	out := mustKeys(t, append([]string{"create", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatalf("create --json printed %q: %v", out, err)
	}
	return k
}

// authenticate checks key against the data directory the way a server
// does.
func authenticate(t *testing.T, dir, key string) (*auth.Principal, error) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sec, err := auth.LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := auth.NewCache(ctx, st, sec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Authenticate(key, time.Now())
}

func TestKeysCreate(t *testing.T) {
	dir := keysTestEnv(t)
	before := time.Now()
	k := createJSON(t, "--data", dir, "--name", "alice", "--tenant", "acme", "--models", "gpt-4o, demo",
		"--rpm", "60", "--tpm", "1000", "--expires", "720h", "--policy", "strict")
	if !strings.HasPrefix(k.ID, "key_") || !auth.WellFormed(k.Key) || k.Name != "alice" || k.Tenant != "acme" ||
		strings.Join(k.Models, ",") != "gpt-4o,demo" || k.RPM != 60 || k.TPM != 1000 || k.Policy != "strict" ||
		k.State != "active" || k.Prefix != k.Key[:auth.DisplayPrefixLen] {
		t.Errorf("create --json = %+v", k)
	}
	exp, err := time.Parse(time.RFC3339, k.ExpiresAt)
	if err != nil || exp.Before(before.Add(719*time.Hour)) || exp.After(time.Now().Add(721*time.Hour)) {
		t.Errorf("expires_at = %q, want about 720h from now", k.ExpiresAt)
	}
	p, err := authenticate(t, dir, k.Key)
	if err != nil || p.KeyID != k.ID || p.RPM != 60 || !p.AllowsModel("demo") || p.AllowsModel("other") {
		t.Errorf("the created key does not authenticate as expected: %+v, %v", p, err)
	}

	for path, want := range map[string]os.FileMode{
		dir:                                 0o700,
		filepath.Join(dir, auth.SecretFile): 0o600,
		filepath.Join(dir, store.DBFile):    0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", filepath.Base(path), fi.Mode().Perm(), want)
		}
	}
	// Only a hash is stored: the secret appears in no file.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte(k.Key)) || bytes.Contains(b, []byte(k.Key[auth.DisplayPrefixLen:])) {
			t.Errorf("%s contains the key's secret", e.Name())
		}
	}
}

func TestKeysCreatePlainPrintsOnlyTheKey(t *testing.T) {
	dir := keysTestEnv(t)
	code, out, errs := keysCLI(t, "create", "--name", "bob", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	key := strings.TrimSuffix(out, "\n")
	if !auth.WellFormed(key) || strings.Contains(key, "\n") {
		t.Fatalf("stdout = %q, want the key alone", out)
	}
	if !strings.Contains(errs, "key_") || strings.Contains(errs, key) {
		t.Errorf("stderr = %q: want the id, never the secret", errs)
	}
	if _, err := authenticate(t, dir, key); err != nil {
		t.Error(err)
	}
}

func TestKeysListRevokeRotate(t *testing.T) {
	dir := keysTestEnv(t)
	a := createJSON(t, "--data", dir, "--name", "a")
	b := createJSON(t, "--data", dir, "--name", "b", "--models", "demo")

	out := mustKeys(t, "list", "--data", dir, "--json")
	if strings.Contains(out, a.Key) || strings.Contains(out, b.Key) || strings.Contains(out, `"key"`) || strings.Contains(out, "hash") {
		t.Errorf("list --json reveals secrets or hashes: %s", out)
	}
	var list []createdKey
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID || list[1].Models[0] != "demo" || list[0].State != "active" {
		t.Errorf("list --json = %+v", list)
	}
	table := mustKeys(t, "list", "--data", dir)
	for _, want := range []string{"ID", "STATE", a.ID, b.ID, a.Prefix, "active"} {
		if !strings.Contains(table, want) {
			t.Errorf("list output lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, a.Key) {
		t.Error("list shows a secret")
	}

	// Flags after the ID work as well as before it.
	mustKeys(t, "revoke", a.ID, "--data", dir)
	if _, err := authenticate(t, dir, a.Key); !errors.Is(err, auth.ErrRevoked) {
		t.Errorf("revoked key: %v", err)
	}
	if !strings.Contains(mustKeys(t, "list", "--data", dir), "revoked") {
		t.Error("list does not show the revoked state")
	}

	var r createdKey
	if err := json.Unmarshal([]byte(mustKeys(t, "rotate", "--data", dir, b.ID, "--json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.ID != b.ID || r.Key == b.Key || !auth.WellFormed(r.Key) || r.Name != "b" || r.Models[0] != "demo" {
		t.Errorf("rotate --json = %+v", r)
	}
	if _, err := authenticate(t, dir, b.Key); !errors.Is(err, auth.ErrUnknown) {
		t.Errorf("old secret after rotate: %v", err)
	}
	if p, err := authenticate(t, dir, r.Key); err != nil || p.KeyID != b.ID {
		t.Errorf("new secret after rotate: %v", err)
	}

	// With --grace the previous secret keeps working.
	code, out2, _ := keysCLI(t, "rotate", b.ID, "--grace", "1h", "--data", dir)
	newer := strings.TrimSpace(out2)
	if code != 0 || !auth.WellFormed(newer) {
		t.Fatalf("rotate --grace: exit %d, %q", code, out2)
	}
	for _, k := range []string{r.Key, newer} {
		if _, err := authenticate(t, dir, k); err != nil {
			t.Errorf("during grace: %v", err)
		}
	}
}

func TestKeysStateCommands(t *testing.T) {
	dir := keysTestEnv(t)
	k := createJSON(t, "--data", dir, "--name", "q")
	steps := []struct {
		args []string
		want error
	}{
		{[]string{"quarantine", k.ID, "--reason", "extraction"}, auth.ErrQuarantined},
		{[]string{"unquarantine", k.ID}, nil},
		{[]string{"disable", k.ID}, auth.ErrDisabled},
		{[]string{"enable", k.ID}, nil},
	}
	for _, s := range steps {
		mustKeys(t, append(s.args, "--data", dir)...)
		if _, err := authenticate(t, dir, k.Key); !errors.Is(err, s.want) {
			t.Errorf("after %v: %v, want %v", s.args, err, s.want)
		}
	}
	var shown createdKey
	mustKeys(t, "quarantine", "--data", dir, k.ID)
	if err := json.Unmarshal([]byte(mustKeys(t, "show", k.ID, "--json", "--data", dir)), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.State != "quarantined" || shown.Key != "" {
		t.Errorf("show --json = %+v", shown)
	}
}

func TestKeysErrors(t *testing.T) {
	dir := keysTestEnv(t)
	createJSON(t, "--data", dir, "--name", "x")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"revoke", "key_nope", "--data", dir}, 1, "key_nope"},
		{[]string{"rotate", "--data", dir, "key_nope"}, 1, "key_nope"},
		{[]string{"unquarantine", "key_nope", "--data", dir}, 1, "key_nope"},
		{[]string{"create", "--data", dir}, 1, "name"},
		{[]string{"create", "--data", dir, "--name", "x", "--expires", "soon"}, 1, "--expires"},
		{[]string{"create", "--data", dir, "--name", "x", "--rpm", "-1"}, 1, "rpm"},
		{[]string{"revoke", "--data", dir}, 2, "key ID"},
		{[]string{"revoke", "a", "b", "--data", dir}, 2, "key ID"},
		{[]string{"list", "extra", "--data", dir}, 2, "unexpected"},
		{[]string{"frobnicate"}, 2, "unknown subcommand"},
		{[]string{"list", "--bogus"}, 2, "bogus"},
		{nil, 2, "Usage"},
	} {
		code, out, errs := keysCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) || out != "" {
			t.Errorf("keys %v: exit %d, stdout %q, stderr %q; want exit %d mentioning %q",
				tc.args, code, out, errs, tc.code, tc.msg)
		}
	}
}

func TestKeysEnvDefaults(t *testing.T) {
	dir := keysTestEnv(t)
	t.Setenv("RAMPART_DATA", dir)
	k := createJSON(t, "--name", "env")
	if _, err := os.Stat(filepath.Join(dir, store.DBFile)); err != nil {
		t.Fatalf("RAMPART_DATA ignored: %v", err)
	}
	if !strings.Contains(mustKeys(t, "list"), k.ID) {
		t.Error("list with RAMPART_DATA does not show the key")
	}
}

func TestKeysSecretMismatch(t *testing.T) {
	dir := keysTestEnv(t)
	createJSON(t, "--data", dir, "--name", "x")
	t.Setenv(auth.EnvSecret, auth.NewSecretHex())
	code, _, errs := keysCLI(t, "create", "--data", dir, "--name", "y")
	if code != 1 || !strings.Contains(errs, "secret") {
		t.Errorf("create under another secret: exit %d, %q", code, errs)
	}
}

// TestKeysPostgres runs the CLI against PostgreSQL in a schema of its own;
// skipped when PostgreSQL is unreachable, unless $CI is set.
func TestKeysPostgres(t *testing.T) {
	dir := keysTestEnv(t)
	base := os.Getenv("RAMPART_TEST_DATABASE")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL unreachable: %v", err)
		}
		t.Fatalf("PostgreSQL unreachable (CI is set): %v", err)
	}
	defer conn.Close(context.Background())
	schema := "rampart_cli_" + strings.TrimPrefix(auth.NewKeyID(), "key_")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	t.Setenv("RAMPART_DATABASE", u.String())

	k := createJSON(t, "--data", dir, "--name", "pg", "--models", "demo")
	if _, err := os.Stat(filepath.Join(dir, store.DBFile)); err == nil {
		t.Error("created a SQLite database although --database is set")
	}
	mustKeys(t, "rotate", k.ID, "--data", dir)
	mustKeys(t, "revoke", k.ID, "--data", dir)
	var list []createdKey
	if err := json.Unmarshal([]byte(mustKeys(t, "list", "--json", "--data", dir)), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != k.ID || list[0].State != "revoked" {
		t.Errorf("list --json = %+v", list)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM "+schema+".keys").Scan(&n); err != nil || n != 1 {
		t.Errorf("keys in the schema: %d, %v", n, err)
	}
}
