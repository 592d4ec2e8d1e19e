package audit

import (
	"net/url"
	"time"

	"rampart/internal/config"
	"rampart/internal/secret"
)

// Content modes: how prompt and completion text is kept.
const (
	ContentHashed   = "hashed"   // keyed HMACs only (default)
	ContentRedacted = "redacted" // HMACs plus the redacted text
	ContentFull     = "full"     // HMACs plus the full text; needs encryption
)

// Durability of the SQLite primary store (audit.sync).
const (
	// SyncFull: WAL with synchronous=FULL. Every commit fsyncs
	// the WAL before Record returns, so an acknowledged event survives a
	// process crash, an OS crash and a power loss.
	SyncFull = "full"
	// SyncNormal (default): WAL with synchronous=NORMAL. A commit is written to the
	// WAL (the OS page cache) before Record returns and fsynced at WAL
	// checkpoints: an acknowledged event survives a process crash
	// (kill -9) but the last commits may be lost on an OS crash or power
	// loss. The chain stays consistent either way.
	SyncNormal = "normal"
)

// Sink types.
const (
	SinkSQLite   = "sqlite"
	SinkPostgres = "postgres"
	SinkJSONL    = "jsonl"
	SinkSyslog   = "syslog"
	SinkWebhook  = "webhook"
)

// Config is the `audit:` section of the configuration file.
type Config struct {
	// Disabled turns auditing off (the gateway then uses Discard).
	Disabled bool `yaml:"disabled"`
	// Content is hashed (default), redacted or full.
	Content string `yaml:"content"`
	// Sinks lists destinations. The primary store (sqlite or postgres,
	// at most one) holds the chain; when none is listed it is postgres
	// if a database URL is given, else sqlite in the data directory.
	// Other sinks get copies.
	Sinks []SinkConfig `yaml:"sinks"`
	// Retention prunes records older than this (0: keep forever).
	Retention config.Duration `yaml:"retention"`
	// CheckpointInterval is the number of records between stored signed
	// checkpoints (default 1000). A signed head is written with every commit.
	CheckpointInterval int `yaml:"checkpoint_interval"`
	// HMACKeyFile or HMACKeyEnv override <data>/audit-hmac.key. Replicas
	// sharing one database must share this key.
	HMACKeyFile string `yaml:"hmac_key_file"`
	HMACKeyEnv  string `yaml:"hmac_key_env"`
	// SigningKeyFile overrides <data>/audit-signing.key.
	SigningKeyFile string `yaml:"signing_key_file"`
	// Encryption encrypts stored prompt/completion text (redacted and
	// full modes) with AES-256-GCM envelope encryption.
	Encryption secret.Config `yaml:"encryption"`
	// GroupCommit tunes batching of concurrent events.
	GroupCommit GroupCommitConfig `yaml:"group_commit"`
	// Sync is the SQLite store's durability: normal (default) or full.
	// See SyncFull and SyncNormal. PostgreSQL follows the server's own
	// synchronous_commit setting.
	Sync string `yaml:"sync"`
	// Timeout bounds one Record call (default 5s); past it the event
	// counts as not recorded.
	Timeout config.Duration `yaml:"timeout"`
	// StrictOrder makes a request event durable before the request is
	// forwarded (Vault's order). By default the request event commits
	// while the upstream works, and the answer is held until it is
	// durable: a request is never answered unrecorded, but one forwarded
	// just before a crash or a store failure may be missing from the log.
	StrictOrder bool `yaml:"strict_order"`
}

// GroupCommitConfig tunes the writer that batches concurrent events into
// one transaction.
type GroupCommitConfig struct {
	// MaxBatch is the most events per transaction (default 1024).
	MaxBatch int `yaml:"max_batch"`
	// MaxDelay lets the writer wait for more events before committing a
	// batch (default 0: commit as soon as the previous commit ends, which
	// already batches everything that arrived meanwhile).
	MaxDelay config.Duration `yaml:"max_delay"`
	// QueueSize is the number of events waiting for the writer (default 8192).
	QueueSize int `yaml:"queue_size"`
	// MaxDefer is how long the writer may hold back an event queued by
	// Start (a request event while its request is forwarded) that nobody
	// waits for yet, so that it shares a commit with the response event
	// (default 2ms, at most 1s). It bounds how long a forwarded request
	// can stay unrecorded; strict_order removes that window.
	MaxDefer config.Duration `yaml:"max_defer"`
}

// SinkConfig configures one sink.
type SinkConfig struct {
	// Name identifies the sink in logs and metrics (default: its type).
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// Required sinks must accept every event before Record returns. The
	// primary store is always required; copies default to not required
	// (written in the background, dropped and counted when they fall behind).
	Required bool `yaml:"required"`

	// sqlite: Path (default <data>/audit.db).
	// jsonl: Path of the active file; MaxSize rotates it (default 100MiB),
	// MaxFiles rotated files are kept (default 10), Fsync syncs each batch.
	Path     string      `yaml:"path"`
	MaxSize  config.Size `yaml:"max_size"`
	MaxFiles int         `yaml:"max_files"`
	Fsync    bool        `yaml:"fsync"`

	// postgres: URL (default --database) and TablePrefix (default
	// "rampart_audit").
	// webhook: URL to POST batches to.
	URL         string `yaml:"url"`
	TablePrefix string `yaml:"table_prefix"`

	// syslog: Network udp|tcp|unix|unixgram and Address; Facility
	// (default local0), AppName (default rampart), Hostname (default os.Hostname).
	Network  string `yaml:"network"`
	Address  string `yaml:"address"`
	Facility string `yaml:"facility"`
	AppName  string `yaml:"app_name"`
	Hostname string `yaml:"hostname"`

	// webhook: Headers added to each POST (e.g. Authorization), BatchSize
	// records per POST (default 100), FlushInterval (default 1s),
	// MaxRetries (default 3), RequestTimeout (default 10s).
	Headers        map[string]string `yaml:"headers"`
	BatchSize      int               `yaml:"batch_size"`
	FlushInterval  config.Duration   `yaml:"flush_interval"`
	MaxRetries     int               `yaml:"max_retries"`
	RequestTimeout config.Duration   `yaml:"request_timeout"`
}

func (s SinkConfig) name() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Type
}

func (s SinkConfig) primary() bool { return s.Type == SinkSQLite || s.Type == SinkPostgres }

// Validate reports every problem in c.
func (c *Config) Validate(ck *config.Checker) {
	switch c.Content {
	case "", ContentHashed, ContentRedacted:
	case ContentFull:
		if !c.Encryption.Enabled() {
			ck.Field("content").Failf("full content needs encryption (set audit.encryption.key_file or key_env)")
		}
	default:
		ck.Field("content").Failf("unknown content mode %q (want hashed, redacted or full)", c.Content)
	}
	switch c.Sync {
	case "", SyncFull, SyncNormal:
	default:
		ck.Field("sync").Failf("unknown sync mode %q (want full or normal)", c.Sync)
	}
	if c.Retention < 0 {
		ck.Field("retention").Failf("must not be negative")
	} else if c.Retention > 0 && c.Retention.D() < time.Hour {
		ck.Field("retention").Failf("must be at least 1h")
	}
	if c.CheckpointInterval < 0 {
		ck.Field("checkpoint_interval").Failf("must not be negative")
	}
	if c.Timeout < 0 {
		ck.Field("timeout").Failf("must not be negative")
	}
	if c.HMACKeyFile != "" && c.HMACKeyEnv != "" {
		ck.Field("hmac_key_env").Failf("set hmac_key_file or hmac_key_env, not both")
	}
	if c.Encryption.KeyFile != "" && c.Encryption.KeyEnv != "" {
		ck.Field("encryption").Field("key_env").Failf("set key_file or key_env, not both")
	}
	g := ck.Field("group_commit")
	if c.GroupCommit.MaxBatch < 0 {
		g.Field("max_batch").Failf("must not be negative")
	}
	if c.GroupCommit.QueueSize < 0 {
		g.Field("queue_size").Failf("must not be negative")
	}
	if c.GroupCommit.MaxDelay < 0 || c.GroupCommit.MaxDelay.D() > time.Second {
		g.Field("max_delay").Failf("must be between 0 and 1s")
	}
	if c.GroupCommit.MaxDefer < 0 || c.GroupCommit.MaxDefer.D() > time.Second {
		g.Field("max_defer").Failf("must be between 0 and 1s")
	}
	primaries := 0
	names := map[string]bool{}
	for i, s := range c.Sinks {
		sc := ck.Field("sinks").Index(i)
		if names[s.name()] {
			sc.Field("name").Failf("duplicate sink name %q", s.name())
		}
		names[s.name()] = true
		switch s.Type {
		case SinkSQLite:
			primaries++
		case SinkPostgres:
			primaries++
			if s.URL != "" {
				if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
					sc.Field("url").Failf("want a postgres:// URL")
				}
			}
		case SinkJSONL:
			if s.Path == "" {
				sc.Field("path").Failf("required for a jsonl sink")
			}
		case SinkSyslog:
			switch s.Network {
			case "udp", "tcp", "unix", "unixgram":
			default:
				sc.Field("network").Failf("want udp, tcp, unix or unixgram")
			}
			if s.Address == "" {
				sc.Field("address").Failf("required for a syslog sink")
			}
			if _, ok := facilities[s.Facility]; s.Facility != "" && !ok {
				sc.Field("facility").Failf("unknown syslog facility %q", s.Facility)
			}
		case SinkWebhook:
			u, err := url.Parse(s.URL)
			if s.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				sc.Field("url").Failf("want an http(s) URL")
			}
		case "":
			sc.Field("type").Failf("required (sqlite, postgres, jsonl, syslog or webhook)")
		default:
			sc.Field("type").Failf("unknown sink type %q (want sqlite, postgres, jsonl, syslog or webhook)", s.Type)
		}
		if s.BatchSize < 0 || s.MaxRetries < 0 || s.MaxFiles < 0 || s.MaxSize < 0 {
			sc.Failf("sizes and counts must not be negative")
		}
	}
	if primaries > 1 {
		ck.Field("sinks").Failf("at most one primary store (sqlite or postgres)")
	}
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.Content == "" {
		d.Content = ContentHashed
	}
	if d.Sync == "" {
		d.Sync = SyncNormal
	}
	if d.CheckpointInterval == 0 {
		d.CheckpointInterval = 1000
	}
	if d.Timeout == 0 {
		d.Timeout = config.Duration(5 * time.Second)
	}
	if d.GroupCommit.MaxBatch == 0 {
		d.GroupCommit.MaxBatch = 1024
	}
	if d.GroupCommit.QueueSize == 0 {
		d.GroupCommit.QueueSize = 8192
	}
	if d.GroupCommit.MaxDefer == 0 {
		d.GroupCommit.MaxDefer = config.Duration(2 * time.Millisecond)
	}
	return d
}
