package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// SQLite is the embedded Store: one database file in the data directory,
// in WAL mode with a busy timeout, so the CLI and a running server can use
// the same file at once.
type SQLite struct {
	db *sql.DB
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating it with mode 0600 if needed) the database at
// path and applies the migrations.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: database path %q may not contain '?' or '#'", path)
	}
	// Create the file ourselves so it (and the -wal and -shm files SQLite
	// derives from it) never exists with a looser mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()

	// _txlock=immediate takes the write lock at BEGIN, so two writers wait
	// on busy_timeout instead of failing with SQLITE_BUSY on lock upgrade.
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &SQLite{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *SQLite) migrate(ctx context.Context) error {
	ms, err := migrations("sqlite")
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil) // immediate: one migrator at a time
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if err := checkVersion(current, ms); err != nil {
		return err
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`,
			m.version, time.Now().Unix()); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

const sqliteKeyColumns = `id, name, tenant, prefix, hash, models, rpm, tpm, policy, created_at,
	expires_at, revoked_at, disabled, quarantined, quarantine_reason, prev_hash, grace_until, extra`

type rowScanner interface{ Scan(dest ...any) error }

func scanSQLiteKey(r rowScanner) (*Key, error) {
	var (
		k                       Key
		models                  string
		created                 int64
		expires, revoked, grace sql.NullInt64
		disabled, quarantined   int64
	)
	err := r.Scan(&k.ID, &k.Name, &k.Tenant, &k.Prefix, &k.Hash, &models, &k.RPM, &k.TPM, &k.Policy,
		&created, &expires, &revoked, &disabled, &quarantined, &k.QuarantineReason,
		&k.PrevHash, &grace, &k.Extra)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(models), &k.Models); err != nil {
		return nil, fmt.Errorf("store: key %s: models: %w", k.ID, err)
	}
	if len(k.Models) == 0 {
		k.Models = nil
	}
	k.CreatedAt = fromMicros(created)
	k.ExpiresAt = fromNullMicros(expires)
	k.RevokedAt = fromNullMicros(revoked)
	k.GraceUntil = fromNullMicros(grace)
	k.Disabled = disabled != 0
	k.Quarantined = quarantined != 0
	return &k, nil
}

func sqliteKeyArgs(k *Key) ([]any, error) {
	models := k.Models
	if models == nil {
		models = []string{}
	}
	mj, err := json.Marshal(models)
	if err != nil {
		return nil, err
	}
	return []any{k.ID, k.Name, k.Tenant, k.Prefix, k.Hash, string(mj), k.RPM, k.TPM, k.Policy,
		toMicros(k.CreatedAt), toNullMicros(k.ExpiresAt), toNullMicros(k.RevokedAt),
		boolInt(k.Disabled), boolInt(k.Quarantined), k.QuarantineReason,
		nilIfEmpty(k.PrevHash), toNullMicros(k.GraceUntil), nilIfEmpty(k.Extra)}, nil
}

// CreateKey implements Store.
func (s *SQLite) CreateKey(ctx context.Context, k *Key) error {
	if err := validateNew(k); err != nil {
		return err
	}
	args, err := sqliteKeyArgs(k)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM keys WHERE id = ? OR hash = ?`, k.ID, k.Hash).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("store: key %s: %w", k.ID, ErrExists)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO keys (`+sqliteKeyColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
			return err
		}
		return bumpSQLite(ctx, tx)
	})
}

// UpdateKey implements Store.
func (s *SQLite) UpdateKey(ctx context.Context, k *Key) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return updateSQLite(ctx, tx, k) })
}

func updateSQLite(ctx context.Context, tx *sql.Tx, k *Key) error {
	if len(k.Hash) == 0 {
		return errors.New("store: key has no hash")
	}
	args, err := sqliteKeyArgs(k)
	if err != nil {
		return err
	}
	// Every column but id and created_at; id goes last for the WHERE.
	args = append(args[1:9], args[10:]...)
	args = append(args, k.ID)
	res, err := tx.ExecContext(ctx, `UPDATE keys SET name = ?, tenant = ?, prefix = ?, hash = ?,
		models = ?, rpm = ?, tpm = ?, policy = ?, expires_at = ?, revoked_at = ?, disabled = ?,
		quarantined = ?, quarantine_reason = ?, prev_hash = ?, grace_until = ?, extra = ?
		WHERE id = ?`, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("store: key %s: %w", k.ID, ErrNotFound)
	}
	return bumpSQLite(ctx, tx)
}

// ModifyKey implements Store.
func (s *SQLite) ModifyKey(ctx context.Context, id string, fn func(*Key) error) (*Key, error) {
	var out *Key
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		k, err := getSQLite(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		k.ID = id
		if err := updateSQLite(ctx, tx, k); err != nil {
			return err
		}
		out = k
		return nil
	})
	return out, err
}

func bumpSQLite(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE key_generation SET value = value + 1 WHERE id = 1`)
	return err
}

type sqliteQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getSQLite(ctx context.Context, q sqliteQuerier, id string) (*Key, error) {
	k, err := scanSQLiteKey(q.QueryRowContext(ctx, `SELECT `+sqliteKeyColumns+` FROM keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: key %s: %w", id, ErrNotFound)
	}
	return k, err
}

// GetKey implements Store.
func (s *SQLite) GetKey(ctx context.Context, id string) (*Key, error) {
	return getSQLite(ctx, s.db, id)
}

// ListKeys implements Store. Keys come oldest first.
func (s *SQLite) ListKeys(ctx context.Context) ([]*Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sqliteKeyColumns+` FROM keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	var ks []*Key
	for rows.Next() {
		k, err := scanSQLiteKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	return ks, nil
}

// Generation implements Store.
func (s *SQLite) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM key_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("store: generation: %w", err)
	}
	return g, nil
}

// GetSetting implements Store.
func (s *SQLite) GetSetting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: setting %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: setting %s: %w", name, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// PutSetting implements Store.
func (s *SQLite) PutSetting(ctx context.Context, name string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
		return err
	})
}

// Ping implements Store.
func (s *SQLite) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// Close implements Store.
func (s *SQLite) Close() error { return s.db.Close() }

func (s *SQLite) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func validateNew(k *Key) error {
	switch {
	case k == nil:
		return errors.New("store: nil key")
	case k.ID == "":
		return errors.New("store: key has no id")
	case len(k.Hash) == 0:
		return errors.New("store: key has no hash")
	case k.CreatedAt.IsZero():
		return errors.New("store: key has no creation time")
	}
	return nil
}

// Times are stored with microsecond precision (PostgreSQL's), in UTC.

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func toNullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
