package auth

import (
	"net/http"
	"strings"
)

// FromHeaders returns the API key a request presents: the credentials of
// "Authorization: Bearer <key>" (scheme case-insensitive), or else the
// value of "x-api-key". Surrounding spaces are trimmed; "" means none.
func FromHeaders(h http.Header) string {
	if a := h.Get("Authorization"); a != "" {
		const bearer = "bearer "
		a = strings.TrimLeft(a, " \t")
		if len(a) > len(bearer) && strings.EqualFold(a[:len(bearer)], bearer) {
			if k := strings.Trim(a[len(bearer):], " \t"); k != "" {
				return k
			}
		}
	}
	return strings.Trim(h.Get("X-Api-Key"), " \t")
}
