package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"rampart/internal/config"
	"rampart/internal/secret"
)

// Log is the audit log: it prepares events (hashing or encrypting their
// content), appends them to the hash chain in the primary store through a
// group-commit writer, and copies them to the other sinks. It implements
// Recorder.
type Log struct {
	cfg     Config
	logger  *slog.Logger
	hasher  Hasher
	signer  ed25519.PrivateKey
	keyID   string          // KeyID of signer's public key
	keyring *secret.Keyring // nil: content stored unencrypted
	store   *sqlStore

	required []Sink       // copies that must succeed before Record returns
	async    []*asyncSink // copies written in the background

	// The writer's queue. Events queued by Start that nobody waits for
	// yet wait in deferred, for at most max_defer (deferT), so that the
	// response event queued after them shares their commit; the first
	// event somebody waits for moves them, in order, to queue and wakes
	// the writer. Neither a deferred event nor its timer wakes the writer.
	mu       sync.Mutex // guards closed, queue, deferred and pending.deferred
	closed   bool
	queue    []*pending
	deferred []*pending
	deferT   *time.Timer
	wake     chan struct{} // capacity 1: queue has events
	slots    chan struct{} // capacity queue_size: events queued or committing
	done     chan struct{} // writer exited
	stop     chan struct{} // stops the retention loop
	bg       sync.WaitGroup

	// head is the head the writer committed last (nil: unknown, read it
	// from the store). Only the writer goroutine uses it.
	head *headState

	// unhealthy is set while the last commit failed: Start then waits
	// for durability itself, so a failing store refuses requests before
	// they are forwarded.
	unhealthy atomic.Bool

	recorded atomic.Uint64
	failed   atomic.Uint64
	commits  atomic.Uint64
}

var _ Recorder = (*Log)(nil)

type pending struct {
	rec    StoredRecord
	timeNs int64
	done   chan error // buffered: the writer never blocks on it
	// deferred: in Log.deferred, queued by Start and not waited for yet.
	deferred bool
}

// Open opens the audit log described by cfg. dataDir holds the keys and
// the SQLite store; databaseURL (may be empty) selects PostgreSQL as the
// primary store when no primary sink is configured.
func Open(cfg Config, dataDir, databaseURL string, logger *slog.Logger) (*Log, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ck := config.NewChecker().Field("audit")
	cfg.Validate(ck)
	if err := ck.Err(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if dataDir != "" {
		if err := ensureDataDir(dataDir); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	l := &Log{cfg: cfg, logger: logger}
	hk, err := loadHMACKey(cfg.HMACKeyFile, cfg.HMACKeyEnv, dataDir, true)
	if err != nil {
		return nil, err
	}
	l.hasher = NewHasher(hk)
	if l.signer, err = loadSigningKey(cfg.SigningKeyFile, dataDir, true); err != nil {
		return nil, err
	}
	l.keyID = KeyID(l.signer.Public().(ed25519.PublicKey))
	if l.keyring, err = cfg.Encryption.Load(); err != nil {
		return nil, fmt.Errorf("audit encryption: %w", err)
	}

	ctx := context.Background()
	prim := primarySink(cfg, databaseURL)
	if l.store, err = openPrimary(ctx, prim, dataDir, databaseURL, cfg.Sync, cfg.Timeout.D()); err != nil {
		return nil, err
	}
	for _, sc := range cfg.Sinks {
		if sc.primary() {
			continue
		}
		s, err := newSink(sc, logger)
		if err != nil {
			l.closeSinks()
			l.store.close()
			return nil, fmt.Errorf("audit sink %s: %w", sc.name(), err)
		}
		if sc.Required {
			l.required = append(l.required, s)
		} else {
			l.async = append(l.async, newAsyncSink(s, logger))
		}
	}

	l.wake = make(chan struct{}, 1)
	l.slots = make(chan struct{}, cfg.GroupCommit.QueueSize)
	l.deferT = time.AfterFunc(time.Hour, l.flushDeferred)
	l.deferT.Stop()
	l.done = make(chan struct{})
	l.stop = make(chan struct{})
	go l.writer()
	if cfg.Retention > 0 {
		l.bg.Add(1)
		go l.retentionLoop()
	}
	return l, nil
}

func primarySink(cfg Config, databaseURL string) SinkConfig {
	for _, s := range cfg.Sinks {
		if s.primary() {
			return s
		}
	}
	if databaseURL != "" {
		return SinkConfig{Type: SinkPostgres, URL: databaseURL}
	}
	return SinkConfig{Type: SinkSQLite}
}

func openPrimary(ctx context.Context, sc SinkConfig, dataDir, databaseURL, syncMode string, lockWait time.Duration) (*sqlStore, error) {
	if sc.Type == SinkPostgres {
		u := sc.URL
		if u == "" {
			u = databaseURL
		}
		if u == "" {
			return nil, errors.New("audit: postgres sink without a URL (set url or --database)")
		}
		return openPostgres(ctx, u, sc.TablePrefix)
	}
	p := sc.Path
	if p == "" {
		if dataDir == "" {
			return nil, errors.New("audit: no data directory for the sqlite store")
		}
		p = filepath.Join(dataDir, SQLiteFile)
	}
	return openSQLite(ctx, p, syncMode, lockWait)
}

// Hasher returns the keyed hasher that content and `rampart audit hash` use.
func (l *Log) Hasher() Hasher { return l.hasher }

// PublicKey returns the key that verifies the log's checkpoints.
func (l *Log) PublicKey() ed25519.PublicKey { return l.signer.Public().(ed25519.PublicKey) }

// ContentMode returns hashed, redacted or full, so a caller can skip
// producing redacted text the log would not keep.
func (l *Log) ContentMode() string { return l.cfg.Content }

// Keyring returns the content encryption keyring, or nil.
func (l *Log) Keyring() *secret.Keyring { return l.keyring }

// Stats are counters since Open.
type Stats struct {
	Recorded uint64 // events acknowledged
	Failed   uint64 // Record calls that returned an error
	Dropped  uint64 // copies dropped by background sinks
	Commits  uint64 // group commits (batches) to the primary store
}

// Stats returns the counters.
func (l *Log) Stats() Stats {
	s := Stats{Recorded: l.recorded.Load(), Failed: l.failed.Load(), Commits: l.commits.Load()}
	for _, a := range l.async {
		s.Dropped += a.dropped.Load()
	}
	return s
}

// contentAAD binds encrypted content to its purpose.
var contentAAD = []byte("rampart-audit-content")

// prepare turns an event into the stored form, in the caller's goroutine
// so concurrent callers hash and encode in parallel.
func (l *Log) prepare(e *Event) (*pending, error) {
	ev := *e
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Time = ev.Time.UTC()
	if ev.Prompt != "" && ev.PromptHash == "" {
		ev.PromptHash = l.hasher.Hash(ev.Prompt)
	}
	if ev.Completion != "" && ev.CompletionHash == "" {
		ev.CompletionHash = l.hasher.Hash(ev.Completion)
	}
	switch l.cfg.Content {
	case ContentRedacted:
		if ev.PromptRedacted != "" {
			ev.PromptText = ev.PromptRedacted
		}
		if ev.CompletionRedacted != "" {
			ev.CompletionText = ev.CompletionRedacted
		}
	case ContentFull:
		if ev.Prompt != "" {
			ev.PromptText = ev.Prompt
		}
		if ev.Completion != "" {
			ev.CompletionText = ev.Completion
		}
	default:
		ev.PromptText, ev.CompletionText = "", ""
	}
	if l.keyring != nil {
		for _, f := range []*string{&ev.PromptText, &ev.CompletionText} {
			if *f == "" {
				continue
			}
			s, err := l.keyring.SealString(*f, contentAAD)
			if err != nil {
				return nil, err
			}
			*f = s
		}
	}
	body, err := canonicalEvent(&ev)
	if err != nil {
		return nil, err
	}
	return &pending{
		rec:    StoredRecord{Type: "record", Event: body},
		timeNs: ev.Time.UnixNano(),
		done:   make(chan error, 1),
	}, nil
}

// OpenText decrypts a PromptText or CompletionText value stored
// encrypted ("enc:v1:…"); other values are returned as they are.
func (l *Log) OpenText(s string) (string, error) {
	if l.keyring == nil || len(s) < len(secret.TextPrefix) || s[:len(secret.TextPrefix)] != secret.TextPrefix {
		return s, nil
	}
	return l.keyring.OpenString(s, contentAAD)
}

func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, fmt.Sprintf(format, args...))
}

// Record appends e to the log and returns once it is durable in the
// primary store and every required sink. It is detached from ctx's
// cancellation (a client hang-up cannot drop the record) but bounded by
// the configured timeout. On failure the error wraps ErrUnavailable. On
// success e.Seq holds the record's sequence number.
func (l *Log) Record(ctx context.Context, e *Event) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.Timeout.D())
	defer cancel()
	p, err := l.enqueue(ctx, e, true)
	if err != nil {
		return err
	}
	return l.await(ctx, p, e)
}

// Pending is an event queued by Start. Wait returns once it is durable
// (or not). A nil *Pending is an event that was already durable when
// Start returned. It is not safe for concurrent use.
type Pending struct {
	l      *Log
	p      *pending
	waited bool
	err    error
}

// Start queues e and returns without waiting for it to be durable: the
// gateway forwards a request while its request event commits, and calls
// Wait before the first byte of the answer reaches the client. Until
// Wait is called, the writer may hold the event back for up to
// group_commit.max_defer, so that it shares one commit with the
// response event queued after it.
//
// Start waits for durability itself, as Record does, and returns a nil
// *Pending when audit.strict_order is set (the request event is durable
// before anything is forwarded) or while the last commit failed (so a
// failing store refuses requests before they are forwarded). An error
// wraps ErrUnavailable: the event was not queued (or, in those two
// cases, not recorded).
func (l *Log) Start(ctx context.Context, e *Event) (*Pending, error) {
	if l.cfg.StrictOrder || l.unhealthy.Load() {
		return nil, l.Record(ctx, e)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.Timeout.D())
	defer cancel()
	p, err := l.enqueue(ctx, e, false)
	if err != nil {
		return nil, err
	}
	return &Pending{l: l, p: p}, nil
}

// Wait asks the writer to commit the event now, if it has not yet, and
// returns once it is durable in the primary store and every required
// sink, bounded by audit.timeout. Later calls return the same result.
func (w *Pending) Wait() error {
	if w == nil {
		return nil
	}
	if w.waited {
		return w.err
	}
	w.waited = true
	l := w.l
	select {
	case err := <-w.p.done:
		w.err = l.settle(w.p, nil, err)
		return w.err
	default:
	}
	l.mu.Lock()
	if w.p.deferred {
		l.flushLocked()
		l.mu.Unlock()
		l.signal()
	} else {
		l.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.Timeout.D())
	defer cancel()
	w.err = l.await(ctx, w.p, nil)
	return w.err
}

// enqueue prepares e and hands it to the writer, waiting at most until
// ctx is done for room in the queue. An urgent event (somebody waits for
// it) goes to the writer at once, after the deferred ones; the others
// are deferred.
func (l *Log) enqueue(ctx context.Context, e *Event, urgent bool) (*pending, error) {
	p, err := l.prepare(e)
	if err != nil {
		l.failed.Add(1)
		return nil, fmt.Errorf("%w: encode event: %w", ErrUnavailable, err)
	}
	if l.isClosed() {
		l.failed.Add(1)
		return nil, unavailable("log is closed")
	}
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		l.failed.Add(1)
		return nil, unavailable("queue full for %s", l.cfg.Timeout.D())
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.slots
		l.failed.Add(1)
		return nil, unavailable("log is closed")
	}
	if !urgent {
		p.deferred = true
		l.deferred = append(l.deferred, p)
		if len(l.deferred) == 1 {
			l.deferT.Reset(l.cfg.GroupCommit.MaxDefer.D())
		}
		l.mu.Unlock()
		return p, nil
	}
	l.flushLocked()
	l.queue = append(l.queue, p)
	l.mu.Unlock()
	l.signal()
	return p, nil
}

func (l *Log) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// flushLocked moves the deferred events to the writer's queue. l.mu is held.
func (l *Log) flushLocked() {
	if len(l.deferred) == 0 {
		return
	}
	for _, p := range l.deferred {
		p.deferred = false
	}
	l.queue = append(l.queue, l.deferred...)
	clear(l.deferred)
	l.deferred = l.deferred[:0]
	l.deferT.Stop()
}

// flushDeferred hands the deferred events to the writer: nobody waited
// for them within max_defer.
func (l *Log) flushDeferred() {
	l.mu.Lock()
	n := len(l.deferred)
	l.flushLocked()
	l.mu.Unlock()
	if n > 0 {
		l.signal()
	}
}

// signal wakes the writer.
func (l *Log) signal() {
	select {
	case l.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// await waits until p is committed or ctx is done.
func (l *Log) await(ctx context.Context, p *pending, e *Event) error {
	select {
	case err := <-p.done:
		return l.settle(p, e, err)
	case <-ctx.Done():
		l.failed.Add(1)
		return unavailable("not durable within %s", l.cfg.Timeout.D())
	}
}

// settle counts the writer's verdict on p and returns it.
func (l *Log) settle(p *pending, e *Event, err error) error {
	if err != nil {
		l.failed.Add(1)
		return err
	}
	l.recorded.Add(1)
	if e != nil {
		e.Seq = p.rec.Seq
	}
	return nil
}

// writer is the group-commit loop: it takes every event in the queue
// (up to MaxBatch) and commits them in one transaction, so one fsync
// covers many concurrent requests. It exits once the log is closed and
// the queue is empty.
func (l *Log) writer() {
	defer close(l.done)
	maxBatch := l.cfg.GroupCommit.MaxBatch
	delay := l.cfg.GroupCommit.MaxDelay.D()
	var batch, spare []*pending
	for range l.wake {
		for {
			if delay > 0 {
				time.Sleep(delay)
			}
			l.mu.Lock()
			if len(l.queue) > 0 {
				// A commit is due anyway: the deferred events ride along.
				l.flushLocked()
			}
			n := min(len(l.queue), maxBatch)
			if n == 0 {
				closed := l.closed
				l.mu.Unlock()
				if closed {
					return
				}
				break
			}
			if n == len(l.queue) {
				batch, l.queue = l.queue, spare[:0]
			} else {
				batch = append(spare[:0], l.queue[:n]...)
				rest := copy(l.queue, l.queue[n:])
				clear(l.queue[rest:])
				l.queue = l.queue[:rest]
			}
			l.mu.Unlock()
			l.commit(batch)
			for range batch {
				<-l.slots
			}
			clear(batch)
			spare = batch[:0]
		}
	}
}

func (l *Log) commit(batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.Timeout.D())
	defer cancel()
	recs := make([]*StoredRecord, len(batch))
	for i, p := range batch {
		recs[i] = &p.rec
	}
	// SQLite runs in-process and its writer connection's busy_timeout is
	// audit.timeout, so its statements get no deadline: with a
	// cancellable context the driver starts an interrupt goroutine for
	// every statement (four per batch). Callers stay bounded by their own
	// timeout (fail closed) either way.
	sctx := ctx
	if l.store.kind == SinkSQLite {
		sctx = context.Background()
	}
	err := l.appendBatch(sctx, batch)
	l.commits.Add(1)
	l.unhealthy.Store(err != nil)
	if err != nil {
		err = fmt.Errorf("%w: primary store: %w", ErrUnavailable, err)
		l.logger.Error("audit commit failed", "store", l.store.kind, "events", len(batch), "err", err)
	} else {
		var errs []error
		for _, s := range l.required {
			if werr := s.Write(ctx, recs); werr != nil {
				errs = append(errs, fmt.Errorf("sink %s: %w", s.Name(), werr))
			}
		}
		if len(errs) > 0 {
			l.unhealthy.Store(true)
			err = fmt.Errorf("%w: required %w", ErrUnavailable, errors.Join(errs...))
			l.logger.Error("audit required sink failed", "events", len(batch), "err", err)
		}
	}
	if err == nil {
		for _, a := range l.async {
			a.enqueue(recs)
		}
	}
	for _, p := range batch {
		p.done <- err
	}
}

// appendBatch links the batch to the chain head and commits it with a new
// signed head (and a stored checkpoint every CheckpointInterval records).
//
// The writer is normally the only appender, so it keeps the head it
// committed last (l.head) instead of reading it back in every batch. The
// head update is conditional on the stored head still being that one; if
// another process appended, pruned or checkpointed in between, or a
// statement fails, the batch is retried once on the head read under the
// lock.
func (l *Log) appendBatch(ctx context.Context, batch []*pending) error {
	if h := l.head; h != nil {
		l.head = nil
		tx, err := l.store.beginAt(ctx, h)
		if err != nil {
			return err
		}
		next, err := l.appendIn(ctx, tx, batch)
		if err == nil {
			if err = tx.commit(); err == nil {
				l.head = next
			}
			return err
		}
		tx.rollback()
		if !errors.Is(err, errHeadMoved) {
			l.logger.Debug("audit append on the remembered head failed; retrying on the stored head", "err", err)
		}
	}
	tx, err := l.store.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.rollback()
	next, err := l.appendIn(ctx, tx, batch)
	if err != nil {
		return err
	}
	if err := tx.commit(); err != nil {
		return err
	}
	l.head = next
	return nil
}

// appendIn links batch to tx's head, moves the head and inserts the
// records, and returns the new head. The head is moved first: with a
// remembered head that is the check that nobody else appended (and in
// PostgreSQL it locks the head row before the inserts).
func (l *Log) appendIn(ctx context.Context, tx *appendTx, batch []*pending) (*headState, error) {
	seq, prev, floor, lastCP := uint64(0), ZeroHash, uint64(1), uint64(0)
	if h := tx.head; h != nil {
		seq, prev, floor, lastCP = h.Seq, h.Hash, h.Floor, h.LastCP
	}
	recs := make([]*StoredRecord, len(batch))
	times := make([]int64, len(batch))
	for i, p := range batch {
		seq++
		p.rec.Seq, p.rec.Prev = seq, prev
		p.rec.Hash = ChainHash(seq, prev, p.rec.Event)
		prev = p.rec.Hash
		recs[i], times[i] = &p.rec, p.timeNs
	}
	// One signature per batch: the new head, also stored as a permanent
	// checkpoint every CheckpointInterval records.
	cp := l.sign(seq, prev, floor, time.Now())
	storeCP := seq-lastCP >= uint64(l.cfg.CheckpointInterval)
	if storeCP {
		lastCP = seq
	}
	next := &headState{Checkpoint: cp, LastCP: lastCP}
	if tx.head == nil {
		// Empty chain (or the PostgreSQL placeholder): nothing to move
		// conditionally; the upsert below creates the head.
		tx.cached = false
	}
	if err := tx.setHead(ctx, *next); err != nil {
		return nil, err
	}
	if err := tx.insert(ctx, recs, times); err != nil {
		return nil, err
	}
	if storeCP {
		if err := tx.putCheckpoint(ctx, cp); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// sign returns a checkpoint over (seq, hash, floor) signed with the log's key.
func (l *Log) sign(seq uint64, hash string, floor uint64, now time.Time) Checkpoint {
	return signCheckpointID(l.signer, l.keyID, seq, hash, floor, now)
}

// Checkpoint stores a signed checkpoint of the current head now (Close
// does this too).
func (l *Log) Checkpoint(ctx context.Context) error {
	tx, err := l.store.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.rollback()
	h := tx.head
	if h == nil || h.LastCP == h.Seq {
		return nil
	}
	cp := l.sign(h.Seq, h.Hash, h.Floor, time.Now())
	if err := tx.putCheckpoint(ctx, cp); err != nil {
		return err
	}
	if err := tx.setHead(ctx, headState{Checkpoint: cp, LastCP: h.Seq}); err != nil {
		return err
	}
	return tx.commit()
}

// Prune deletes records older than cutoff, up to the last checkpoint
// before it: that checkpoint stays as the anchor of the remaining chain
// and the signed head records the new floor. It returns the number of the
// first record kept.
func (l *Log) Prune(ctx context.Context, cutoff time.Time) (uint64, error) {
	tx, err := l.store.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.rollback()
	h := tx.head
	if h == nil {
		return 0, nil
	}
	k, err := tx.pruneBoundary(ctx, cutoff)
	if err != nil || k == 0 || k+1 <= h.Floor {
		return h.Floor, err
	}
	if err := tx.prune(ctx, k); err != nil {
		return 0, err
	}
	if err := tx.setHead(ctx, headState{Checkpoint: l.sign(h.Seq, h.Hash, k+1, time.Now()), LastCP: h.LastCP}); err != nil {
		return 0, err
	}
	if err := tx.commit(); err != nil {
		return 0, err
	}
	l.logger.Info("audit retention pruned records", "below", k+1)
	return k + 1, nil
}

func (l *Log) retentionLoop() {
	defer l.bg.Done()
	every := min(l.cfg.Retention.D()/10, time.Hour)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := l.Prune(ctx, time.Now().Add(-l.cfg.Retention.D())); err != nil {
			l.logger.Warn("audit retention failed", "err", err)
		}
		cancel()
		select {
		case <-t.C:
		case <-l.stop:
			return
		}
	}
}

// Close stops accepting events, commits those already queued, stores a
// final signed checkpoint, flushes background sinks and closes the stores.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.flushLocked()
	l.mu.Unlock()
	l.signal()
	<-l.done
	close(l.stop)
	l.bg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := l.Checkpoint(ctx)
	err = errors.Join(err, l.closeSinks(), l.store.close())
	return err
}

func (l *Log) closeSinks() error {
	var errs []error
	for _, a := range l.async {
		errs = append(errs, a.close())
	}
	for _, s := range l.required {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
