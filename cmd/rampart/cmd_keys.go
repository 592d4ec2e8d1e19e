package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"rampart/internal/audit"
	"rampart/internal/auth"
	"rampart/internal/config"
	"rampart/internal/store"
)

func init() {
	register("keys", "create, list, revoke and rotate API keys", func(args []string) int {
		return runKeys(args, os.Stdout, os.Stderr)
	})
}

const keysUsage = `Usage: rampart keys <subcommand> [flags]

Subcommands:
  create --name NAME [--tenant T] [--models m1,m2] [--rpm N] [--tpm N]
         [--expires 720h] [--policy PROFILE] [--json]
                              create a key and print its secret (once)
  list [--json]               list keys (never secrets or hashes)
  show ID [--json]            show one key
  revoke ID                   revoke a key for good
  rotate ID [--grace DUR]     issue a new secret for the key; the old one
                              stops at once, or after --grace
  quarantine ID [--reason R]  refuse a key until it is unquarantined
  unquarantine ID             lift a quarantine
  disable ID | enable ID      turn a key off and on again

Every subcommand takes:
  --data DIR       state directory (env RAMPART_DATA; default ./rampart-data)
  --database URL   postgres://… instead of SQLite in --data (env RAMPART_DATABASE)
  --config FILE    the server's YAML configuration, for its audit settings
                   (env RAMPART_CONFIG)
  --json           machine-readable output

Every change (create, revoke, rotate, quarantine, unquarantine, disable,
enable) is recorded in the audit log as an admin event (actor cli:$USER);
a change that cannot be recorded makes the command fail.

Flags may come before or after the key ID.
`

// keysEnv is what every keys subcommand shares.
type keysEnv struct {
	data, database string
	configFile     string
	json           bool
	stdout, stderr io.Writer
}

func runKeys(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, keysUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, args := args[0], args[1:]
	e := &keysEnv{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("rampart keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, keysUsage) }
	fs.StringVar(&e.data, "data", envOr("RAMPART_DATA", "./rampart-data"), "state directory")
	fs.StringVar(&e.database, "database", os.Getenv("RAMPART_DATABASE"), "postgres:// URL")
	fs.StringVar(&e.configFile, "config", os.Getenv("RAMPART_CONFIG"), "YAML configuration (its audit section)")
	fs.BoolVar(&e.json, "json", false, "JSON output")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	switch sub {
	case "create":
		return e.create(ctx, fs, args)
	case "list", "ls":
		if _, code := parseArgs(fs, args, 0); code >= 0 {
			return code
		}
		return e.list(ctx)
	case "show":
		return e.withID(ctx, fs, args, func(st store.Store, id string) error {
			k, err := st.GetKey(ctx, id)
			if err != nil {
				return err
			}
			return e.printKey(k, "")
		})
	case "revoke":
		return e.change(ctx, fs, args, "key.revoke", "revoked", nil, func(st store.Store, id string) (*store.Key, error) {
			return auth.Revoke(ctx, st, id, time.Now())
		})
	case "disable", "enable":
		return e.change(ctx, fs, args, "key."+sub, sub+"d", nil, func(st store.Store, id string) (*store.Key, error) {
			return auth.SetDisabled(ctx, st, id, sub == "disable")
		})
	case "quarantine":
		reason := fs.String("reason", "quarantined by an operator", "why the key is quarantined")
		return e.change(ctx, fs, args, "key.quarantine", "quarantined", reason, func(st store.Store, id string) (*store.Key, error) {
			return auth.Quarantine(ctx, st, id, *reason)
		})
	case "unquarantine":
		return e.change(ctx, fs, args, "key.unquarantine", "unquarantined", nil, func(st store.Store, id string) (*store.Key, error) {
			return auth.Unquarantine(ctx, st, id)
		})
	case "rotate":
		return e.rotate(ctx, fs, args)
	}
	fmt.Fprintf(stderr, "rampart keys: unknown subcommand %q\n\n%s", sub, keysUsage)
	return 2
}

// parseArgs parses flags placed before, between and after the positional
// arguments (the flag package alone stops at the first non-flag), and
// requires exactly want positionals. code is -1 to go on, or the exit
// status to return.
func parseArgs(fs *flag.FlagSet, args []string, want int) (pos []string, code int) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0
			}
			return nil, 2
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != want {
		if want == 0 {
			fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), pos[0])
		} else {
			fmt.Fprintf(fs.Output(), "%s: want exactly one key ID, got %d arguments\n", fs.Name(), len(pos))
		}
		return nil, 2
	}
	return pos, -1
}

func (e *keysEnv) open(ctx context.Context) (store.Store, error) {
	return store.Open(ctx, e.data, e.database)
}

// secret loads the server secret and checks it against the store.
func (e *keysEnv) secret(ctx context.Context, st store.Store) ([]byte, error) {
	s, err := auth.LoadSecret(e.data)
	if err != nil {
		return nil, err
	}
	if err := auth.CheckSecret(ctx, st, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (e *keysEnv) fail(fs *flag.FlagSet, err error) int {
	fmt.Fprintf(e.stderr, "%s: %v\n", fs.Name(), err)
	return 1
}

func (e *keysEnv) create(ctx context.Context, fs *flag.FlagSet, args []string) int {
	var spec auth.KeySpec
	var models, expires string
	fs.StringVar(&spec.Name, "name", "", "key name (required)")
	fs.StringVar(&spec.Tenant, "tenant", "", "tenant")
	fs.StringVar(&models, "models", "", "comma-separated models the key may use (default: all)")
	fs.Int64Var(&spec.RPM, "rpm", 0, "requests per minute (0: no per-key limit)")
	fs.Int64Var(&spec.TPM, "tpm", 0, "tokens per minute (0: no per-key limit)")
	fs.StringVar(&expires, "expires", "", "lifetime, e.g. 720h or 30d (default: never)")
	fs.StringVar(&spec.Policy, "policy", "", "policy profile (default: the tenant's or the default)")
	if _, code := parseArgs(fs, args, 0); code >= 0 {
		return code
	}
	spec.Models = splitList(models)
	if expires != "" {
		d, err := config.ParseDuration(expires)
		if err != nil {
			return e.fail(fs, fmt.Errorf("--expires: %w", err))
		}
		if d <= 0 {
			return e.fail(fs, errors.New("--expires must be positive"))
		}
		spec.ExpiresIn = d
	}
	if err := spec.Validate(); err != nil {
		return e.fail(fs, err)
	}
	st, err := e.open(ctx)
	if err != nil {
		return e.fail(fs, err)
	}
	defer st.Close()
	sec, err := e.secret(ctx, st)
	if err != nil {
		return e.fail(fs, err)
	}
	al, err := e.openAudit()
	if err != nil {
		return e.fail(fs, err)
	}
	defer al.Close()
	k, plain, err := auth.Create(ctx, st, sec, spec, time.Now())
	if err != nil {
		return e.fail(fs, err)
	}
	if err := al.record(ctx, keyEvent("key.create", k, "")); err != nil {
		return e.fail(fs, err)
	}
	if err := e.printSecret(k, plain, "created"); err != nil {
		return e.fail(fs, err)
	}
	return 0
}

func (e *keysEnv) rotate(ctx context.Context, fs *flag.FlagSet, args []string) int {
	var grace string
	fs.StringVar(&grace, "grace", "", "keep the old secret valid this long, e.g. 1h (default: it stops at once)")
	pos, code := parseArgs(fs, args, 1)
	if code >= 0 {
		return code
	}
	var g time.Duration
	if grace != "" {
		d, err := config.ParseDuration(grace)
		if err != nil {
			return e.fail(fs, fmt.Errorf("--grace: %w", err))
		}
		if d < 0 {
			return e.fail(fs, errors.New("--grace must not be negative"))
		}
		g = d
	}
	st, err := e.open(ctx)
	if err != nil {
		return e.fail(fs, err)
	}
	defer st.Close()
	sec, err := e.secret(ctx, st)
	if err != nil {
		return e.fail(fs, err)
	}
	al, err := e.openAudit()
	if err != nil {
		return e.fail(fs, err)
	}
	defer al.Close()
	k, plain, err := auth.Rotate(ctx, st, sec, pos[0], g, time.Now())
	if err != nil {
		return e.fail(fs, notFound(err, pos[0]))
	}
	reason := ""
	if g > 0 {
		reason = "old secret valid for " + g.String()
	}
	if err := al.record(ctx, keyEvent("key.rotate", k, reason)); err != nil {
		return e.fail(fs, err)
	}
	if err := e.printSecret(k, plain, "rotated"); err != nil {
		return e.fail(fs, err)
	}
	return 0
}

func (e *keysEnv) withID(ctx context.Context, fs *flag.FlagSet, args []string, fn func(store.Store, string) error) int {
	pos, code := parseArgs(fs, args, 1)
	if code >= 0 {
		return code
	}
	st, err := e.open(ctx)
	if err != nil {
		return e.fail(fs, err)
	}
	defer st.Close()
	if err := fn(st, pos[0]); err != nil {
		return e.fail(fs, notFound(err, pos[0]))
	}
	return 0
}

// change applies one audited change to a key: the audit log is opened
// first (nothing changes when it cannot be), and the command fails when
// the admin event cannot be recorded.
func (e *keysEnv) change(ctx context.Context, fs *flag.FlagSet, args []string, action, verb string, reason *string,
	fn func(store.Store, string) (*store.Key, error)) int {
	return e.withID(ctx, fs, args, func(st store.Store, id string) error {
		al, err := e.openAudit()
		if err != nil {
			return err
		}
		defer al.Close()
		k, err := fn(st, id)
		if err != nil {
			return err
		}
		why := ""
		if reason != nil {
			why = *reason
		}
		if err := al.record(ctx, keyEvent(action, k, why)); err != nil {
			return err
		}
		if e.json {
			return e.printKey(k, "")
		}
		_, err = fmt.Fprintf(e.stdout, "%s %s (%s)\n", verb, k.ID, auth.State(k, time.Now()))
		return err
	})
}

// openAudit opens the audit log this command records its change in.
func (e *keysEnv) openAudit() (*adminAudit, error) {
	return openAdminAudit(e.data, e.database, e.configFile)
}

// keyEvent is the admin event for a change to key k.
func keyEvent(action string, k *store.Key, reason string) audit.Event {
	return audit.Event{Action: action, Target: k.ID, KeyID: k.ID, Tenant: k.Tenant, Reason: reason}
}

func notFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no key with id %q (see 'rampart keys list')", id)
	}
	return err
}

func (e *keysEnv) list(ctx context.Context) int {
	fs := "rampart keys list"
	st, err := e.open(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", fs, err)
		return 1
	}
	defer st.Close()
	keys, err := st.ListKeys(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", fs, err)
		return 1
	}
	now := time.Now()
	if e.json {
		out := make([]keyJSON, 0, len(keys))
		for _, k := range keys {
			out = append(out, toKeyJSON(k, "", now))
		}
		return e.writeJSON(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTENANT\tPREFIX\tMODELS\tRPM\tTPM\tSTATE\tCREATED\tEXPIRES")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\t%s\t%s\t%s\n",
			k.ID, orDash(k.Name), orDash(k.Tenant), k.Prefix, modelsText(k.Models),
			limitText(k.RPM), limitText(k.TPM), auth.State(k, now),
			k.CreatedAt.Format(time.RFC3339), timeText(k.ExpiresAt))
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}

// keyJSON is a key as the CLI prints it: never the hash, and the secret
// only right after create or rotate.
type keyJSON struct {
	ID               string   `json:"id"`
	Key              string   `json:"key,omitempty"`
	Name             string   `json:"name"`
	Tenant           string   `json:"tenant"`
	Prefix           string   `json:"prefix"`
	Models           []string `json:"models"`
	RPM              int64    `json:"rpm"`
	TPM              int64    `json:"tpm"`
	Policy           string   `json:"policy,omitempty"`
	State            string   `json:"state"`
	CreatedAt        string   `json:"created_at"`
	ExpiresAt        string   `json:"expires_at,omitempty"`
	RevokedAt        string   `json:"revoked_at,omitempty"`
	QuarantineReason string   `json:"quarantine_reason,omitempty"`
	GraceUntil       string   `json:"grace_until,omitempty"`
}

func toKeyJSON(k *store.Key, plain string, now time.Time) keyJSON {
	models := k.Models
	if models == nil {
		models = []string{}
	}
	j := keyJSON{ID: k.ID, Key: plain, Name: k.Name, Tenant: k.Tenant, Prefix: k.Prefix, Models: models,
		RPM: k.RPM, TPM: k.TPM, Policy: k.Policy, State: auth.State(k, now),
		CreatedAt: k.CreatedAt.Format(time.RFC3339), QuarantineReason: k.QuarantineReason}
	if !k.ExpiresAt.IsZero() {
		j.ExpiresAt = k.ExpiresAt.Format(time.RFC3339)
	}
	if !k.RevokedAt.IsZero() {
		j.RevokedAt = k.RevokedAt.Format(time.RFC3339)
	}
	if !k.GraceUntil.IsZero() && len(k.PrevHash) > 0 {
		j.GraceUntil = k.GraceUntil.Format(time.RFC3339)
	}
	return j
}

func (e *keysEnv) writeJSON(v any) int {
	enc := json.NewEncoder(e.stdout)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(e.stderr, "rampart keys: %v\n", err)
		return 1
	}
	return 0
}

func (e *keysEnv) printKey(k *store.Key, plain string) error {
	if e.json {
		if e.writeJSON(toKeyJSON(k, plain, time.Now())) != 0 {
			return errors.New("cannot write output")
		}
		return nil
	}
	j := toKeyJSON(k, plain, time.Now())
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\nname:\t%s\ntenant:\t%s\nprefix:\t%s…\nmodels:\t%s\nrpm:\t%s\ntpm:\t%s\n",
		j.ID, orDash(j.Name), orDash(j.Tenant), j.Prefix, modelsText(k.Models), limitText(j.RPM), limitText(j.TPM))
	fmt.Fprintf(tw, "policy:\t%s\nstate:\t%s\ncreated:\t%s\nexpires:\t%s\n",
		orDash(j.Policy), j.State, j.CreatedAt, timeText(k.ExpiresAt))
	if j.RevokedAt != "" {
		fmt.Fprintf(tw, "revoked:\t%s\n", j.RevokedAt)
	}
	if j.QuarantineReason != "" {
		fmt.Fprintf(tw, "quarantine reason:\t%s\n", j.QuarantineReason)
	}
	if j.GraceUntil != "" {
		fmt.Fprintf(tw, "old secret valid until:\t%s\n", j.GraceUntil)
	}
	return tw.Flush()
}

// printSecret shows a new secret: alone on stdout (so
// KEY=$(rampart keys create …) works) with the details on stderr, or as
// JSON with --json.
func (e *keysEnv) printSecret(k *store.Key, plain, verb string) error {
	if e.json {
		if e.writeJSON(toKeyJSON(k, plain, time.Now())) != 0 {
			return errors.New("cannot write output")
		}
		return nil
	}
	if _, err := fmt.Fprintln(e.stdout, plain); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s key %s (name %q). The secret above is shown only once: store it now.\n", verb, k.ID, k.Name)
	if !k.GraceUntil.IsZero() && len(k.PrevHash) > 0 {
		fmt.Fprintf(e.stderr, "The previous secret stays valid until %s.\n", k.GraceUntil.Format(time.RFC3339))
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func modelsText(ms []string) string {
	if len(ms) == 0 {
		return "*"
	}
	return strings.Join(ms, ",")
}

func limitText(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.RFC3339)
}
