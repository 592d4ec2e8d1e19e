package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// sqlStore is the primary store: it holds the chain. SQLite and
// PostgreSQL share it through database/sql and differ in a few dialect
// details.
//
// Tables (PREFIX is "audit" in SQLite, table_prefix in PostgreSQL):
//
//	PREFIX_records     (seq PK, time_ns, prev, hash, event)
//	PREFIX_checkpoints (seq PK, hash, floor, time, key_id, sig)
//	PREFIX_head        (id = 1, seq, hash, floor, time, key_id, sig, last_cp)
//
// Every commit appends a batch and rewrites the signed head in one
// transaction that first locks the head (BEGIN IMMEDIATE in SQLite,
// SELECT … FOR UPDATE in PostgreSQL), so several processes may append to
// one chain.
type sqlStore struct {
	kind   string // sqlite | postgres
	w      *sql.DB
	r      *sql.DB
	prefix string
	desc   string // for messages: a path or a URL without password

	// The writer's statements, prepared once on w for the store's life
	// (the group-commit writer runs them in every batch).
	insertRec *sql.Stmt // one record
	moveHead  *sql.Stmt // the head update, only if the head is still the one given
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,40}$`)

// openSQLite opens (creating if needed) the chain in the SQLite file path.
//
// Durability (syncMode, audit.sync): "normal" (the default) uses WAL
// with synchronous=NORMAL: a commit reaches the OS before Record returns
// (surviving kill -9) but is fsynced only at WAL checkpoints, so the last
// commits may be lost on an OS crash or power loss. "full" uses
// synchronous=FULL, so each commit fsyncs the WAL before Record returns;
// group commit pays one fsync per batch.
//
// lockWait bounds how long the writer's connection waits for the
// database lock (busy_timeout; 10s if zero). The writer runs its
// statements without a context deadline, so this is what bounds a commit
// stuck behind another process's lock.
func openSQLite(ctx context.Context, path, syncMode string, lockWait time.Duration) (*sqlStore, error) {
	// Create the file 0600 ourselves: SQLite would use 0644, and its
	// -wal and -shm files copy the database file's mode.
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600); err == nil {
		f.Close()
	}
	sync := "FULL"
	if syncMode == SyncNormal {
		sync = "NORMAL"
	}
	q := "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(0)"
	if lockWait <= 0 {
		lockWait = 10 * time.Second
	}
	w, err := sql.Open("sqlite", "file:"+path+q+"&_pragma=busy_timeout("+strconv.FormatInt(max(lockWait.Milliseconds(), 1), 10)+")&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", "file:"+path+q+"&_pragma=busy_timeout(10000)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	s := &sqlStore{kind: SinkSQLite, w: w, r: r, prefix: "audit", desc: path}
	if err := s.migrate(ctx); err != nil {
		s.close()
		return nil, fmt.Errorf("audit sqlite %s: %w", path, err)
	}
	return s, nil
}

// openPostgres opens the chain in PostgreSQL under tables named
// prefix_records, prefix_checkpoints and prefix_head.
func openPostgres(ctx context.Context, dsn, prefix string) (*sqlStore, error) {
	if prefix == "" {
		prefix = "rampart_audit"
	}
	if !identRE.MatchString(prefix) {
		return nil, fmt.Errorf("audit postgres: invalid table_prefix %q", prefix)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &sqlStore{kind: SinkPostgres, w: db, r: db, prefix: prefix, desc: redactURL(dsn)}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit postgres %s: %w", s.desc, err)
	}
	if err := s.migrate(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit postgres %s: %w", s.desc, err)
	}
	return s, nil
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres"
	}
	return u.Redacted()
}

func (s *sqlStore) t(name string) string { return s.prefix + "_" + name }

// ph returns the i-th (1-based) placeholder.
func (s *sqlStore) ph(i int) string {
	if s.kind == SinkPostgres {
		return "$" + strconv.Itoa(i)
	}
	return "?"
}

func (s *sqlStore) migrate(ctx context.Context) error {
	big := "INTEGER"
	if s.kind == SinkPostgres {
		big = "BIGINT"
	}
	stmts := []string{
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (seq %s PRIMARY KEY, time_ns %s NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL, event TEXT NOT NULL)`, s.t("records"), big, big),
		fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s_time ON %s (time_ns)`, s.t("records"), s.t("records")),
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (seq %s PRIMARY KEY, hash TEXT NOT NULL, floor %s NOT NULL, time TEXT NOT NULL, key_id TEXT NOT NULL, sig TEXT NOT NULL)`, s.t("checkpoints"), big, big),
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (id INTEGER PRIMARY KEY CHECK (id = 1), seq %s NOT NULL, hash TEXT NOT NULL, floor %s NOT NULL, time TEXT NOT NULL, key_id TEXT NOT NULL, sig TEXT NOT NULL, last_cp %s NOT NULL)`, s.t("head"), big, big, big),
	}
	for _, q := range stmts {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return s.prepare(ctx)
}

func (s *sqlStore) prepare(ctx context.Context) error {
	var err error
	s.insertRec, err = s.w.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (seq, time_ns, prev, hash, event) VALUES (%s,%s,%s,%s,%s)`,
		s.t("records"), s.ph(1), s.ph(2), s.ph(3), s.ph(4), s.ph(5)))
	if err != nil {
		return err
	}
	s.moveHead, err = s.w.PrepareContext(ctx, fmt.Sprintf(`UPDATE %s SET seq = %s, hash = %s, floor = %s, time = %s, key_id = %s, sig = %s, last_cp = %s WHERE id = 1 AND seq = %s AND hash = %s AND floor = %s AND last_cp = %s`,
		s.t("head"), s.ph(1), s.ph(2), s.ph(3), s.ph(4), s.ph(5), s.ph(6), s.ph(7), s.ph(8), s.ph(9), s.ph(10), s.ph(11)))
	return err
}

func (s *sqlStore) close() error {
	for _, st := range []*sql.Stmt{s.insertRec, s.moveHead} {
		if st != nil {
			st.Close()
		}
	}
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// headState is the head row: the signed head checkpoint plus the seq of
// the last stored checkpoint.
type headState struct {
	Checkpoint
	LastCP uint64
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// readHead returns the head, or nil when the chain is empty.
func (s *sqlStore) readHead(ctx context.Context, q querier, lock bool) (*headState, error) {
	query := fmt.Sprintf(`SELECT seq, hash, floor, time, key_id, sig, last_cp FROM %s WHERE id = 1`, s.t("head"))
	if lock && s.kind == SinkPostgres {
		query += " FOR UPDATE"
	}
	var h headState
	err := q.QueryRowContext(ctx, query).Scan(&h.Seq, &h.Hash, &h.Floor, &h.Time, &h.KeyID, &h.Sig, &h.LastCP)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h.Type = "checkpoint"
	return &h, nil
}

// appendTx is one append transaction.
type appendTx struct {
	s    *sqlStore
	tx   *sql.Tx
	head *headState // nil: empty chain
	// cached: head is the writer's memory of its last commit, not read in
	// this transaction; setHead then only succeeds if the stored head is
	// still that one (errHeadMoved otherwise).
	cached bool
}

// errHeadMoved reports that the stored head is not the one the writer
// remembered: another process appended, pruned or checkpointed.
var errHeadMoved = errors.New("audit: chain head moved")

// beginAt starts an append transaction on top of head, the head this
// process committed last, without reading it back. The head update
// (setHead) is conditional on the stored head still being head, and in
// PostgreSQL it takes the head row's lock, so call it before insert.
func (s *sqlStore) beginAt(ctx context.Context, head *headState) (*appendTx, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &appendTx{s: s, tx: tx, head: head, cached: true}, nil
}

func (s *sqlStore) begin(ctx context.Context) (*appendTx, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if s.kind == SinkPostgres {
		// Make sure the head row exists so FOR UPDATE has a row to lock;
		// a fresh table gets a placeholder that the first commit replaces.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (id, seq, hash, floor, time, key_id, sig, last_cp) VALUES (1, 0, '', 1, '', '', '', 0) ON CONFLICT (id) DO NOTHING`, s.t("head"))); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	h, err := s.readHead(ctx, tx, true)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	if h != nil && h.Seq == 0 {
		h = nil // placeholder
	}
	return &appendTx{s: s, tx: tx, head: h}, nil
}

const insertChunk = 400

func (a *appendTx) insert(ctx context.Context, recs []*StoredRecord, timesNs []int64) error {
	s := a.s
	if s.kind == SinkSQLite || len(recs) == 1 {
		// SQLite runs in-process: one prepared statement per record costs
		// less than preparing a multi-row statement for each batch.
		st := a.tx.StmtContext(ctx, s.insertRec)
		for i, r := range recs {
			if _, err := st.ExecContext(ctx, int64(r.Seq), timesNs[i], r.Prev, r.Hash, string(r.Event)); err != nil {
				return err
			}
		}
		return nil
	}
	for start := 0; start < len(recs); start += insertChunk {
		end := min(start+insertChunk, len(recs))
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (seq, time_ns, prev, hash, event) VALUES ", s.t("records"))
		args := make([]any, 0, 5*(end-start))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			n := len(args)
			fmt.Fprintf(&b, "(%s,%s,%s,%s,%s)", s.ph(n+1), s.ph(n+2), s.ph(n+3), s.ph(n+4), s.ph(n+5))
			r := recs[i]
			args = append(args, int64(r.Seq), timesNs[i], r.Prev, r.Hash, string(r.Event))
		}
		if _, err := a.tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func (a *appendTx) putCheckpoint(ctx context.Context, c Checkpoint) error {
	s := a.s
	_, err := a.tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (seq, hash, floor, time, key_id, sig) VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, floor = excluded.floor, time = excluded.time, key_id = excluded.key_id, sig = excluded.sig`,
		s.t("checkpoints"), s.ph(1), s.ph(2), s.ph(3), s.ph(4), s.ph(5), s.ph(6)),
		int64(c.Seq), c.Hash, int64(c.Floor), c.Time, c.KeyID, c.Sig)
	return err
}

func (a *appendTx) setHead(ctx context.Context, h headState) error {
	s := a.s
	if a.cached {
		old := a.head
		res, err := a.tx.StmtContext(ctx, s.moveHead).ExecContext(ctx,
			int64(h.Seq), h.Hash, int64(h.Floor), h.Time, h.KeyID, h.Sig, int64(h.LastCP),
			int64(old.Seq), old.Hash, int64(old.Floor), int64(old.LastCP))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errHeadMoved
		}
		return nil
	}
	_, err := a.tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (id, seq, hash, floor, time, key_id, sig, last_cp) VALUES (1,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, floor = excluded.floor, time = excluded.time, key_id = excluded.key_id, sig = excluded.sig, last_cp = excluded.last_cp`,
		s.t("head"), s.ph(1), s.ph(2), s.ph(3), s.ph(4), s.ph(5), s.ph(6), s.ph(7)),
		int64(h.Seq), h.Hash, int64(h.Floor), h.Time, h.KeyID, h.Sig, int64(h.LastCP))
	return err
}

// pruneBoundary returns the highest checkpointed seq whose record is older
// than cutoff (0 if none): records up to it may be pruned while the
// checkpoint stays as the anchor of the remaining chain.
func (a *appendTx) pruneBoundary(ctx context.Context, cutoff time.Time) (uint64, error) {
	s := a.s
	var k sql.NullInt64
	err := a.tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT MAX(c.seq) FROM %s c JOIN %s r ON r.seq = c.seq WHERE r.time_ns < %s`, s.t("checkpoints"), s.t("records"), s.ph(1)), cutoff.UnixNano()).Scan(&k)
	if err != nil {
		return 0, err
	}
	return uint64(k.Int64), nil
}

func (a *appendTx) prune(ctx context.Context, upTo uint64) error {
	s := a.s
	if _, err := a.tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE seq <= %s`, s.t("records"), s.ph(1)), int64(upTo)); err != nil {
		return err
	}
	_, err := a.tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE seq < %s`, s.t("checkpoints"), s.ph(1)), int64(upTo))
	return err
}

func (a *appendTx) commit() error   { return a.tx.Commit() }
func (a *appendTx) rollback() error { return a.tx.Rollback() }

// snapshot runs fn in a read-only transaction that sees one consistent
// state of the chain.
func (s *sqlStore) snapshot(ctx context.Context, fn func(tx *sql.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.kind == SinkPostgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.r.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

func (s *sqlStore) checkpoints(ctx context.Context, q querier, from uint64) (map[uint64]Checkpoint, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT seq, hash, floor, time, key_id, sig FROM %s WHERE seq >= %s ORDER BY seq`, s.t("checkpoints"), s.ph(1)), int64(from))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uint64]Checkpoint{}
	for rows.Next() {
		c := Checkpoint{Type: "checkpoint"}
		if err := rows.Scan(&c.Seq, &c.Hash, &c.Floor, &c.Time, &c.KeyID, &c.Sig); err != nil {
			return nil, err
		}
		out[c.Seq] = c
	}
	return out, rows.Err()
}

// records calls fn for each record with seq >= from, in stored seq order.
func (s *sqlStore) records(ctx context.Context, q querier, from uint64, fn func(r *StoredRecord, timeNs int64) error) error {
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT seq, time_ns, prev, hash, event FROM %s WHERE seq >= %s ORDER BY seq`, s.t("records"), s.ph(1)), int64(from))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &StoredRecord{Type: "record"}
		var ev string
		var ts int64
		if err := rows.Scan(&r.Seq, &ts, &r.Prev, &r.Hash, &ev); err != nil {
			return err
		}
		r.Event = []byte(ev)
		if err := fn(r, ts); err != nil {
			return err
		}
	}
	return rows.Err()
}

// firstSince returns the lowest seq whose time is at or after t (0: none).
func (s *sqlStore) firstSince(ctx context.Context, q querier, t time.Time) (uint64, error) {
	var n sql.NullInt64
	err := q.QueryRowContext(ctx, fmt.Sprintf(`SELECT MIN(seq) FROM %s WHERE time_ns >= %s`, s.t("records"), s.ph(1)), t.UnixNano()).Scan(&n)
	return uint64(n.Int64), err
}

// dropPostgres drops the tables (tests).
func (s *sqlStore) drop(ctx context.Context) error {
	for _, t := range []string{"records", "checkpoints", "head"} {
		if _, err := s.w.ExecContext(ctx, "DROP TABLE IF EXISTS "+s.t(t)); err != nil {
			return err
		}
	}
	return nil
}
