package auth

import (
	"net/http"
	"strings"
	"testing"
)

func TestFromHeaders(t *testing.T) {
	for _, tc := range []struct {
		h    http.Header
		want string
	}{
		{http.Header{}, ""},
		{http.Header{"Authorization": {"Bearer rk_abc"}}, "rk_abc"},
		{http.Header{"Authorization": {"bearer  rk_abc  "}}, "rk_abc"},
		{http.Header{"Authorization": {"BEARER\trk_abc"}}, ""}, // scheme needs a space
		{http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, ""},
		{http.Header{"Authorization": {"Bearer "}}, ""},
		{http.Header{"Authorization": {"Bearer"}}, ""},
		{http.Header{"X-Api-Key": {" rk_xyz "}}, "rk_xyz"},
		{http.Header{"Authorization": {"Bearer rk_abc"}, "X-Api-Key": {"rk_xyz"}}, "rk_abc"},
		{http.Header{"Authorization": {"Basic zzz"}, "X-Api-Key": {"rk_xyz"}}, "rk_xyz"},
		{http.Header{"Authorization": {"Bearer  "}, "X-Api-Key": {"rk_xyz"}}, "rk_xyz"},
	} {
		if got := FromHeaders(tc.h); got != tc.want {
			t.Errorf("FromHeaders(%v) = %q, want %q", tc.h, got, tc.want)
		}
	}
	// Set canonicalizes, so lowercase names from the wire work too.
	h := http.Header{}
	h.Set("x-api-key", "rk_lower")
	if got := FromHeaders(h); got != "rk_lower" {
		t.Errorf("x-api-key: got %q", got)
	}
}

func FuzzFromHeaders(f *testing.F) {
	f.Add("Bearer rk_abc", "")
	f.Add("", "rk_xyz")
	f.Add("bEaReR   x  ", " y ")
	f.Add("Basic a", "b")
	f.Fuzz(func(t *testing.T, authz, apiKey string) {
		h := http.Header{}
		if authz != "" {
			h["Authorization"] = []string{authz}
		}
		if apiKey != "" {
			h["X-Api-Key"] = []string{apiKey}
		}
		got := FromHeaders(h)
		if got == "" {
			return
		}
		if strings.Trim(got, " \t") != got {
			t.Fatalf("result %q is not trimmed", got)
		}
		if !strings.Contains(authz, got) && !strings.Contains(apiKey, got) {
			t.Fatalf("result %q comes from neither header (%q, %q)", got, authz, apiKey)
		}
		if got != strings.Trim(apiKey, " \t") && !strings.HasPrefix(strings.ToLower(strings.TrimLeft(authz, " \t")), "bearer ") {
			t.Fatalf("took %q from a non-bearer Authorization %q", got, authz)
		}
	})
}
