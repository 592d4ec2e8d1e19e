package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"rampart/internal/anomaly"
	"rampart/internal/app"
	"rampart/internal/audit"
	"rampart/internal/store"
)

func init() {
	register("kill", "switch a key, a tenant or a model off (or on again) on every running server", func(args []string) int {
		return runKill(args, os.Stdout, os.Stderr)
	})
}

const killUsage = `Usage:
  rampart kill key|tenant|model ID [--off] [--reason R] [flags]
  rampart kill list [flags]

Turns the kill switch for a key (401 invalid_api_key), a tenant (401 for
each of its keys) or a model (403 model_not_allowed) on, or off again with
--off. Running servers that share the backend see the change within one
second. The switch is kept in the store (--data or --database) and, when
the servers run with --redis, in Redis: give the CLI the same --redis.
Every change is recorded in the audit log as an admin event (actor
cli:$USER, action kill.on or kill.off, target KIND:ID); a change that
cannot be recorded makes the command fail.

Flags:
  --data DIR       state directory (env RAMPART_DATA; default ./rampart-data)
  --database URL   postgres://… instead of SQLite in --data (env RAMPART_DATABASE)
  --redis URL      the servers' Redis (env RAMPART_REDIS)
  --config FILE    the servers' YAML configuration, for its audit settings and
                   anomaly.redis (prefix, kill_ttl) (env RAMPART_CONFIG)
`

func runKill(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, killUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	kind, args := args[0], args[1:]
	fs := flag.NewFlagSet("rampart kill "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, killUsage) }
	data := fs.String("data", envOr("RAMPART_DATA", "./rampart-data"), "state directory")
	database := fs.String("database", os.Getenv("RAMPART_DATABASE"), "postgres:// URL")
	redisURL := fs.String("redis", os.Getenv("RAMPART_REDIS"), "redis:// URL the servers share")
	configFile := fs.String("config", os.Getenv("RAMPART_CONFIG"), "YAML configuration")
	off := fs.Bool("off", false, "turn the switch off again")
	reason := fs.String("reason", "", "why (kept in the audit log)")

	want := 1
	switch kind {
	case anomaly.KillKey, anomaly.KillTenant, anomaly.KillModel:
	case "list", "ls":
		want = 0
	default:
		fmt.Fprintf(stderr, "rampart kill: unknown kind %q (want key, tenant, model or list)\n\n%s", kind, killUsage)
		return 2
	}
	pos, code := parseArgs(fs, args, want)
	if code >= 0 {
		return code
	}
	failf := func(err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cfg, err := app.LoadConfig(*configFile)
	if err != nil {
		return failf(err)
	}
	st, err := store.Open(ctx, *data, *database)
	if err != nil {
		return failf(err)
	}
	defer st.Close()
	b := anomaly.KillBackend{Settings: st, Prefix: cfg.Anomaly.Redis.Prefix, TTL: cfg.Anomaly.Redis.KillTTL.D()}
	if *redisURL != "" {
		opt, err := redis.ParseURL(*redisURL)
		if err != nil {
			return failf(fmt.Errorf("--redis: %w", err))
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		b.Redis = rdb
	}
	ks := anomaly.NewKillSwitch(b)

	if want == 0 {
		if err := ks.Refresh(ctx); err != nil {
			return failf(err)
		}
		for _, s := range ks.List() {
			fmt.Fprintln(stdout, s)
		}
		return 0
	}

	id := pos[0]
	al, err := openAdminAudit(*data, *database, *configFile)
	if err != nil {
		return failf(err)
	}
	defer al.Close()
	if err := ks.Set(ctx, kind, id, !*off); err != nil {
		return failf(err)
	}
	action, state := "kill.on", "on"
	if *off {
		action, state = "kill.off", "off"
	}
	ev := audit.Event{Action: action, Target: kind + ":" + id, Reason: *reason, Decision: "kill_switch_" + state}
	switch kind {
	case anomaly.KillKey:
		ev.KeyID = id
	case anomaly.KillTenant:
		ev.Tenant = id
	case anomaly.KillModel:
		ev.Model = id
	}
	if err := al.record(ctx, ev); err != nil {
		return failf(err)
	}
	fmt.Fprintf(stdout, "kill switch %s for %s %s\n", state, kind, id)
	return 0
}
