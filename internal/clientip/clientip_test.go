package clientip

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	r, err := New([]string{"10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote string
		xff, fwd     []string
		want         string
	}{
		{"direct untrusted peer ignores headers", "203.0.113.5:1234", []string{"1.2.3.4"}, nil, "203.0.113.5"},
		{"untrusted peer with Forwarded", "203.0.113.5:1234", nil, []string{"for=1.2.3.4"}, "203.0.113.5"},
		{"trusted peer, one hop", "10.1.2.3:5555", []string{"198.51.100.7"}, nil, "198.51.100.7"},
		{"trusted hops skipped from the right", "10.1.2.3:5555", []string{"6.6.6.6, 198.51.100.7, 10.9.9.9, 192.0.2.1"}, nil, "198.51.100.7"},
		{"spoofed left entry ignored", "10.1.2.3:1", []string{"127.0.0.1, 198.51.100.7"}, nil, "198.51.100.7"},
		{"several header lines", "10.1.2.3:1", []string{"6.6.6.6", "198.51.100.8, 10.0.0.2"}, nil, "198.51.100.8"},
		{"all trusted: leftmost", "10.1.2.3:1", []string{"10.0.0.9, 10.0.0.8"}, nil, "10.0.0.9"},
		{"garbage stops the walk", "10.1.2.3:1", []string{"198.51.100.7, nonsense, 10.0.0.8"}, nil, "10.0.0.8"},
		{"no header", "10.1.2.3:1", nil, nil, "10.1.2.3"},
		{"xff with port", "10.1.2.3:1", []string{"198.51.100.7:443"}, nil, "198.51.100.7"},
		{"forwarded preferred over xff", "10.1.2.3:1", []string{"6.6.6.6"}, []string{`for=198.51.100.9;proto=https, for=10.0.0.7`}, "198.51.100.9"},
		{"forwarded quoted v6 with port", "[2001:db8:ffff::1]:443", nil, []string{`For="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"forwarded obfuscated stops", "10.1.2.3:1", nil, []string{`for=198.51.100.9, for=_hidden, for=10.0.0.4`}, "10.0.0.4"},
		{"forwarded unknown stops at peer", "10.1.2.3:1", nil, []string{`for=unknown`}, "10.1.2.3"},
		{"forwarded quoted comma", "10.1.2.3:1", nil, []string{`for=198.51.100.1;by="a,b", for="10.0.0.1"`}, "198.51.100.1"},
		{"v4-mapped peer", "[::ffff:10.1.2.3]:80", []string{"::ffff:198.51.100.7"}, nil, "198.51.100.7"},
		{"single trusted address", "192.0.2.1:80", []string{"198.51.100.3"}, nil, "198.51.100.3"},
		{"bad remote addr", "pipe", nil, nil, "invalid IP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tc.fwd {
				req.Header.Add("Forwarded", v)
			}
			if got := r.ClientIP(req); got.String() != tc.want {
				t.Fatalf("ClientIP = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNoTrustedProxies(t *testing.T) {
	r, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	req := &http.Request{RemoteAddr: "10.0.0.1:1", Header: http.Header{"X-Forwarded-For": {"1.2.3.4"}}}
	if got := r.ClientIP(req); got != netip.MustParseAddr("10.0.0.1") {
		t.Fatalf("ClientIP = %s, want the peer", got)
	}
}

func TestNewRejectsGarbage(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "example.com", ""} {
		if _, err := New([]string{s}); err == nil {
			t.Errorf("New(%q) accepted", s)
		}
	}
}

// FuzzClientIP: any header gives a valid address that is the peer or
// appears in the headers, and never panics.
func FuzzClientIP(f *testing.F) {
	f.Add("198.51.100.7, 10.0.0.1", `for="[2001:db8::1]:80";proto=http, for=10.0.0.2`)
	f.Add("", `for="\"quoted\\"`)
	f.Add("unknown,,", `;;,for=`)
	r, err := New([]string{"10.0.0.0/8", "::/0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		for _, h := range []http.Header{{"X-Forwarded-For": {xff}}, {"Forwarded": {fwd}, "X-Forwarded-For": {xff}}} {
			req := &http.Request{RemoteAddr: "10.0.0.1:1", Header: h}
			got := r.ClientIP(req)
			if !got.IsValid() {
				t.Fatalf("invalid address for %q / %q", xff, fwd)
			}
			if got == netip.MustParseAddr("10.0.0.1") {
				continue
			}
			found := false
			var hops []string
			if _, ok := h["Forwarded"]; ok {
				hops = forwardedFor(h.Values("Forwarded"))
			} else {
				hops = splitQuoted(xff, ',')
			}
			for _, hop := range hops {
				if parseHost(hop) == got {
					found = true
				}
			}
			if !found {
				t.Fatalf("ClientIP = %s, not the peer nor a hop of %q / %q", got, xff, fwd)
			}
		}
	})
}
