package proxy

import (
	"maps"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// hopByHop are the headers that describe one connection, not the message
// (RFC 9110 §7.6.1 plus the legacy ones httputil.ReverseProxy removes).
var hopByHop = []string{
	"Connection",
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Proxy-Connection",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

func isHopByHop(name string) bool {
	return slices.Contains(hopByHop, textproto.CanonicalMIMEHeaderKey(name))
}

// credentialHeaders carry the caller's identity; they never go upstream
// and upstream ones never come back.
var credentialHeaders = []string{
	"Authorization",
	"X-Api-Key",
	"Api-Key",
	"Cookie",
	"Set-Cookie",
}

// reserved headers are set by the transport or by the proxy itself.
var reserved = []string{"Host", "Content-Length", "Accept-Encoding"}

func isReservedHeader(name string) bool {
	k := textproto.CanonicalMIMEHeaderKey(name)
	return slices.Contains(credentialHeaders, k) || slices.Contains(reserved, k)
}

// removeHopByHop deletes hop-by-hop headers and every header named in
// Connection.
func removeHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for f := range strings.SplitSeq(v, ",") {
			if f = textproto.TrimString(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, k := range hopByHop {
		h.Del(k)
	}
}

// outHeader builds the upstream request's headers from the caller's
// selection: hop-by-hop, credential and transport headers are dropped.
// Accept-Encoding is dropped so the transport negotiates gzip itself and
// hands the gateway a decoded body.
func outHeader(in http.Header, size int) http.Header {
	out := make(http.Header, len(in)+size)
	for k, vs := range in {
		out[k] = vs // value slices are shared: callers only Set or Del, never Add
	}
	removeHopByHop(out)
	for _, k := range credentialHeaders {
		out.Del(k)
	}
	for _, k := range reserved {
		out.Del(k)
	}
	return out
}

// cleanResponseHeader strips hop-by-hop headers and upstream cookies from
// a response head before the gateway sees it.
func cleanResponseHeader(h http.Header) {
	removeHopByHop(h)
	h.Del("Set-Cookie")
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
