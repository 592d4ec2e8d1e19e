// Command bareproxy is the load benchmark's baseline: a bare
// httputil.ReverseProxy in front of one upstream, with the same server
// shape as the gateway (HTTP/1.1, keep-alive) and nothing else. It prints
// "bareproxy listening on http://ADDR" on stderr when it accepts
// connections, and exits on SIGTERM or SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	upstream := flag.String("upstream", "", "upstream base URL, e.g. http://127.0.0.1:9000/v1")
	upstreamKey := flag.String("upstream-key", "", "credential sent upstream as a bearer token")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || target.Host == "" {
		log.Fatalf("bareproxy: --upstream must be an absolute URL, got %q", *upstream)
	}
	rp := &httputil.ReverseProxy{
		// /v1/chat/completions → <upstream base>/chat/completions, with the
		// caller's credential replaced by the upstream's, as the gateway does.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Path = pr.Out.URL.Path[len("/v1"):]
			pr.Out.URL.RawPath = ""
			pr.SetURL(target)
			pr.Out.Header.Del("Authorization")
			if *upstreamKey != "" {
				pr.Out.Header.Set("Authorization", "Bearer "+*upstreamKey)
			}
		},
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		FlushInterval: -1,
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", rp)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("bareproxy: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(os.Stderr, "bareproxy listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatalf("bareproxy: %v", err)
	}
}
