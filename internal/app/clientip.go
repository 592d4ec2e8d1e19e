package app

import (
	"net/http"
	"net/netip"

	"rampart/internal/clientip"
)

func clientIPFunc(trusted []string) func(*http.Request) netip.Addr {
	r, err := clientip.New(trusted)
	if err != nil {
		// Validate already reported bad CIDRs; fall back to the peer.
		r, _ = clientip.New(nil)
	}
	return r.ClientIP
}
