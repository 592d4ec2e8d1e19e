package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"rampart/internal/app"
	"rampart/internal/audit"
)

func init() {
	register("audit", "verify, export and search the tamper-evident audit log", runAudit)
}

const auditUsage = `Usage:
  rampart audit verify [--data DIR | --database URL | --file EXPORT.jsonl] [--pubkey FILE]
  rampart audit export [--data DIR | --database URL] [--since RFC3339] [--format jsonl] [--out FILE]
  rampart audit hash VALUE [--data DIR]
  rampart audit pubkey [--data DIR]

verify exits 0 printing "ok N records" when the chain is intact, and 1
naming the first record that was altered, removed, reordered or truncated.`

// auditFlags are the flags every audit subcommand accepts.
type auditFlags struct {
	fs                         *flag.FlagSet
	data, database, configFile string
}

func newAuditFlags(name string) *auditFlags {
	f := &auditFlags{fs: flag.NewFlagSet("rampart audit "+name, flag.ContinueOnError)}
	f.fs.StringVar(&f.data, "data", envOr("RAMPART_DATA", "./rampart-data"), "state directory")
	f.fs.StringVar(&f.database, "database", os.Getenv("RAMPART_DATABASE"), "postgres:// URL of the audit database")
	f.fs.StringVar(&f.configFile, "config", os.Getenv("RAMPART_CONFIG"), "YAML configuration (its audit section)")
	f.fs.Usage = func() { fmt.Fprintln(os.Stderr, auditUsage); f.fs.PrintDefaults() }
	return f
}

// parse parses flags placed before or after positional arguments and
// returns the positional ones.
func (f *auditFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, err
		}
		if f.fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
}

func (f *auditFlags) config() (audit.Config, error) {
	var c struct {
		Audit audit.Config `yaml:"audit"`
	}
	if f.configFile == "" {
		return c.Audit, nil
	}
	b, err := os.ReadFile(f.configFile)
	if err != nil {
		return c.Audit, err
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return c.Audit, fmt.Errorf("%s: %w", f.configFile, err)
	}
	return c.Audit, nil
}

func runAudit(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, auditUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "verify":
		return auditVerify(args[1:])
	case "export":
		err = auditExport(args[1:])
	case "hash":
		err = auditHash(args[1:])
	case "pubkey":
		err = auditPubkey(args[1:])
	default:
		fmt.Fprintf(os.Stderr, "rampart audit: unknown subcommand %q\n\n%s\n", args[0], auditUsage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rampart audit:", err)
		return 1
	}
	return 0
}

func auditVerify(args []string) int {
	f := newAuditFlags("verify")
	file := f.fs.String("file", "", "verify an export instead of the store")
	pubFile := f.fs.String("pubkey", "", "public key (PEM or ed25519:BASE64) that must have signed the chain")
	pos, err := f.parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil || len(pos) > 0 {
		if err == nil {
			fmt.Fprintf(os.Stderr, "rampart audit verify: unexpected argument %q\n", pos[0])
		}
		return 2
	}
	var pub ed25519.PublicKey
	if *pubFile != "" {
		if pub, err = audit.LoadPublicKey(*pubFile); err != nil {
			fmt.Fprintln(os.Stderr, "rampart audit verify:", err)
			return 2
		}
	}
	var n int
	if *file != "" {
		var r io.ReadCloser
		if *file == "-" {
			r = os.Stdin
		} else if r, err = os.Open(*file); err != nil {
			fmt.Fprintln(os.Stderr, "rampart audit verify:", err)
			return 2
		}
		defer r.Close()
		if pub == nil {
			fmt.Fprintln(os.Stderr, "note: checking against the public key inside the export; pass --pubkey to pin the key")
		}
		n, err = audit.VerifyExport(r, pub)
	} else {
		cfg, cerr := f.config()
		if cerr != nil {
			fmt.Fprintln(os.Stderr, "rampart audit verify:", cerr)
			return 2
		}
		rd, oerr := audit.OpenReader(cfg, f.data, f.database)
		if oerr != nil {
			fmt.Fprintln(os.Stderr, "rampart audit verify:", oerr)
			return 2
		}
		defer rd.Close()
		n, err = rd.Verify(context.Background(), pub)
	}
	if err != nil {
		if te, ok := errors.AsType[*audit.TamperError](err); ok {
			fmt.Printf("FAILED at record %d: %s\n", te.Seq, te.Msg)
		} else {
			fmt.Printf("FAILED: %v\n", err)
		}
		return 1
	}
	fmt.Printf("ok %d records\n", n)
	return 0
}

func auditExport(args []string) error {
	f := newAuditFlags("export")
	since := f.fs.String("since", "", "export records at or after this RFC 3339 time")
	format := f.fs.String("format", "jsonl", "output format (jsonl)")
	out := f.fs.String("out", "", "write to FILE instead of standard output")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	if *format != "jsonl" {
		return fmt.Errorf("unknown format %q (want jsonl)", *format)
	}
	var t time.Time
	if *since != "" {
		if t, err = time.Parse(time.RFC3339Nano, *since); err != nil {
			return fmt.Errorf("--since: want RFC 3339, e.g. 2026-11-01T00:00:00Z")
		}
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	rd, err := audit.OpenReader(cfg, f.data, f.database)
	if err != nil {
		return err
	}
	defer rd.Close()
	var w io.Writer = os.Stdout
	if *out != "" {
		fo, err := os.OpenFile(*out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer fo.Close()
		w = fo
	}
	_, err = rd.Export(context.Background(), w, t)
	return err
}

func auditHash(args []string) error {
	f := newAuditFlags("hash")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: rampart audit hash VALUE [--data DIR]")
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	h, err := audit.LoadHasher(cfg, f.data)
	if err != nil {
		return err
	}
	fmt.Println(h.Hash(pos[0]))
	return nil
}

func auditPubkey(args []string) error {
	f := newAuditFlags("pubkey")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", strings.Join(pos, " "))
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	rd, err := audit.OpenReader(cfg, f.data, f.database)
	if err != nil {
		return err
	}
	defer rd.Close()
	if rd.PublicKey() == nil {
		return errors.New("no signing key in " + f.data)
	}
	os.Stdout.Write(audit.PublicKeyPEM(rd.PublicKey()))
	return nil
}

// adminAudit records the admin actions of one CLI command in the audit log
// the server writes: the same primary store (--data or --database) and the
// same audit settings (the audit section of --config). A nil *adminAudit
// (audit.disabled in the config) records nothing.
type adminAudit struct {
	log   *audit.Log
	actor string
}

// openAdminAudit opens the log before the command changes anything, so a
// log that cannot be opened stops the command with nothing changed.
func openAdminAudit(data, database, configFile string) (*adminAudit, error) {
	cfg, err := app.LoadConfig(configFile)
	if err != nil {
		return nil, err
	}
	if cfg.Audit.Disabled {
		return nil, nil
	}
	l, err := audit.Open(cfg.Audit, data, database, nil)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &adminAudit{log: l, actor: cliActor()}, nil
}

// cliActor names the operator: "cli:$USER" (or "cli").
func cliActor() string {
	u := os.Getenv("USER")
	if u == "" {
		if cu, err := user.Current(); err == nil {
			u = cu.Username
		}
	}
	if u == "" {
		return "cli"
	}
	return "cli:" + u
}

// record appends an admin event; the command must fail when it returns an
// error.
func (a *adminAudit) record(ctx context.Context, ev audit.Event) error {
	if a == nil {
		return nil
	}
	ev.Kind = "admin"
	ev.Actor = a.actor
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if err := a.log.Record(ctx, &ev); err != nil {
		return fmt.Errorf("%s %s was done but could not be recorded in the audit log: %w", ev.Action, ev.Target, err)
	}
	return nil
}

func (a *adminAudit) Close() error {
	if a == nil {
		return nil
	}
	return a.log.Close()
}
