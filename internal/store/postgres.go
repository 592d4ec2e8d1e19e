package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the Store for several gateway replicas: keys and settings in
// PostgreSQL through a pgx connection pool. It has the same semantics as
// SQLite, including the generation counter bumped in every key change's
// transaction.
type Postgres struct {
	pool *pgxpool.Pool
}

var _ Store = (*Postgres)(nil)

// migrationLock is the pg_advisory_xact_lock key that serializes
// migrations between processes starting at once.
const migrationLock = 0x72616d7061727431 // "rampart1"

// OpenPostgres connects to url (postgres://…), checks the connection and
// applies the migrations. A search_path in the URL (options or
// search_path parameter) selects the schema.
func OpenPostgres(ctx context.Context, url string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: --database: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	p := &Postgres{pool: pool}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

func (p *Postgres) migrate(ctx context.Context) error {
	ms, err := migrations("postgres")
	if err != nil {
		return err
	}
	return p.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if err := checkVersion(current, ms); err != nil {
			return err
		}
		for _, m := range ms[current:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, m.version); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

const pgKeyColumns = `id, name, tenant, prefix, hash, models, rpm, tpm, policy, created_at,
	expires_at, revoked_at, disabled, quarantined, quarantine_reason, prev_hash, grace_until, extra`

func scanPGKey(r pgx.Row) (*Key, error) {
	var (
		k                       Key
		created                 time.Time
		expires, revoked, grace pgtype.Timestamptz
	)
	err := r.Scan(&k.ID, &k.Name, &k.Tenant, &k.Prefix, &k.Hash, &k.Models, &k.RPM, &k.TPM, &k.Policy,
		&created, &expires, &revoked, &k.Disabled, &k.Quarantined, &k.QuarantineReason,
		&k.PrevHash, &grace, &k.Extra)
	if err != nil {
		return nil, err
	}
	if len(k.Models) == 0 {
		k.Models = nil
	}
	k.CreatedAt = created.UTC()
	k.ExpiresAt = fromTimestamptz(expires)
	k.RevokedAt = fromTimestamptz(revoked)
	k.GraceUntil = fromTimestamptz(grace)
	return &k, nil
}

func pgKeyArgs(k *Key) []any {
	models := k.Models
	if models == nil {
		models = []string{}
	}
	return []any{k.ID, k.Name, k.Tenant, k.Prefix, k.Hash, models, k.RPM, k.TPM, k.Policy,
		k.CreatedAt, toTimestamptz(k.ExpiresAt), toTimestamptz(k.RevokedAt),
		k.Disabled, k.Quarantined, k.QuarantineReason,
		nilIfEmpty(k.PrevHash), toTimestamptz(k.GraceUntil), nilIfEmpty(k.Extra)}
}

// CreateKey implements Store.
func (p *Postgres) CreateKey(ctx context.Context, k *Key) error {
	if err := validateNew(k); err != nil {
		return err
	}
	return p.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO keys (`+pgKeyColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			pgKeyArgs(k)...)
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23505" {
			return fmt.Errorf("store: key %s: %w", k.ID, ErrExists)
		}
		if err != nil {
			return err
		}
		return bumpPG(ctx, tx)
	})
}

// UpdateKey implements Store.
func (p *Postgres) UpdateKey(ctx context.Context, k *Key) error {
	return p.inTx(ctx, func(tx pgx.Tx) error { return updatePG(ctx, tx, k) })
}

func updatePG(ctx context.Context, tx pgx.Tx, k *Key) error {
	if len(k.Hash) == 0 {
		return errors.New("store: key has no hash")
	}
	args := pgKeyArgs(k)
	// Every column but created_at; id is $1.
	args = append(args[:9], args[10:]...)
	tag, err := tx.Exec(ctx, `UPDATE keys SET name = $2, tenant = $3, prefix = $4, hash = $5,
		models = $6, rpm = $7, tpm = $8, policy = $9, expires_at = $10, revoked_at = $11,
		disabled = $12, quarantined = $13, quarantine_reason = $14, prev_hash = $15,
		grace_until = $16, extra = $17
		WHERE id = $1`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: key %s: %w", k.ID, ErrNotFound)
	}
	return bumpPG(ctx, tx)
}

// ModifyKey implements Store. The row is locked (SELECT … FOR UPDATE)
// between the read and the write.
func (p *Postgres) ModifyKey(ctx context.Context, id string, fn func(*Key) error) (*Key, error) {
	var out *Key
	err := p.inTx(ctx, func(tx pgx.Tx) error {
		k, err := getPG(ctx, tx, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		k.ID = id
		if err := updatePG(ctx, tx, k); err != nil {
			return err
		}
		out = k
		return nil
	})
	return out, err
}

func bumpPG(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `UPDATE key_generation SET value = value + 1 WHERE id = 1`)
	return err
}

type pgQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getPG(ctx context.Context, q pgQuerier, id, suffix string) (*Key, error) {
	k, err := scanPGKey(q.QueryRow(ctx, `SELECT `+pgKeyColumns+` FROM keys WHERE id = $1`+suffix, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: key %s: %w", id, ErrNotFound)
	}
	return k, err
}

// GetKey implements Store.
func (p *Postgres) GetKey(ctx context.Context, id string) (*Key, error) {
	return getPG(ctx, p.pool, id, "")
}

// ListKeys implements Store. Keys come oldest first.
func (p *Postgres) ListKeys(ctx context.Context) ([]*Key, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+pgKeyColumns+` FROM keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	var ks []*Key
	for rows.Next() {
		k, err := scanPGKey(rows)
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
func (p *Postgres) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := p.pool.QueryRow(ctx, `SELECT value FROM key_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("store: generation: %w", err)
	}
	return g, nil
}

// GetSetting implements Store.
func (p *Postgres) GetSetting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := p.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
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
func (p *Postgres) PutSetting(ctx context.Context, name string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	_, err := p.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("store: setting %s: %w", name, err)
	}
	return nil
}

// Ping implements Store.
func (p *Postgres) Ping(ctx context.Context) error { return p.pool.Ping(ctx) }

// Close implements Store.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

func (p *Postgres) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, p.pool, fn)
}

func toTimestamptz(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

func fromTimestamptz(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
