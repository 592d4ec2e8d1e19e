package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"rampart/internal/app"
)

func init() {
	register("serve", "run the gateway", runServe)
}

func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var f app.Flags
	fs.StringVar(&f.Listen, "listen", os.Getenv("RAMPART_LISTEN"), "listen address (default 127.0.0.1:8080)")
	fs.StringVar(&f.Data, "data", os.Getenv("RAMPART_DATA"), "state directory (default ./rampart-data)")
	fs.StringVar(&f.Config, "config", os.Getenv("RAMPART_CONFIG"), "YAML configuration file")
	fs.StringVar(&f.Upstream, "upstream", os.Getenv("RAMPART_UPSTREAM"), "one OpenAI-compatible upstream base URL (ending in /v1) serving every model")
	fs.StringVar(&f.UpstreamKey, "upstream-key", os.Getenv("RAMPART_UPSTREAM_KEY"), "credential the gateway sends upstream")
	fs.StringVar(&f.Policy, "policy", os.Getenv("RAMPART_POLICY"), "guardrail policy file (default: built-in balanced)")
	fs.StringVar(&f.Redis, "redis", os.Getenv("RAMPART_REDIS"), "Redis URL for shared limits and anomaly state")
	fs.StringVar(&f.Database, "database", os.Getenv("RAMPART_DATABASE"), "postgres:// URL for keys and audit")
	fs.StringVar(&f.TLSCert, "tls-cert", os.Getenv("RAMPART_TLS_CERT"), "TLS certificate (PEM)")
	fs.StringVar(&f.TLSKey, "tls-key", os.Getenv("RAMPART_TLS_KEY"), "TLS private key (PEM)")
	fs.BoolVar(&f.Demo, "demo", false, "also run a built-in demo upstream (model demo) and print a ready-to-use key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "rampart serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := app.Serve(ctx, f, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "rampart serve: %v\n", err)
		return 1
	}
	return 0
}
