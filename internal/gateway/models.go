package gateway

import (
	"context"
	"encoding/json"
	"net/http"

	"rampart/internal/audit"
	"rampart/internal/openai"
	"rampart/internal/ratelimit"
)

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// modelsPrincipal authenticates a models request.
func (s *Server) modelsPrincipal(w http.ResponseWriter, r *http.Request) (*Principal, bool) {
	in := getInfo(r.Context())
	in.route = "models"
	x := &exchange{s: s, w: w, r: r, in: in}
	x.ip = s.clientIP(r)
	x.ev = audit.Event{Time: in.start.UTC(), Kind: "request", RequestID: in.id, Route: r.URL.Path}
	if x.ip.IsValid() {
		x.ev.ClientIP = x.ip.String()
	}
	if !x.authenticate() {
		return nil, false
	}
	// Listing models charges no limit, but the caller still sees where
	// its limits stand.
	x.peekLimitHeaders()
	return x.p, true
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	p, ok := s.modelsPrincipal(w, r)
	if !ok {
		return
	}
	data := []modelObject{}
	for _, m := range s.up.Models() {
		if p.Allows(m) {
			data = append(data, modelObject{ID: m, Object: "model", OwnedBy: "rampart"})
		}
	}
	writeJSON(w, map[string]any{"object": "list", "data": data})
}

func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	p, ok := s.modelsPrincipal(w, r)
	if !ok {
		return
	}
	m := r.PathValue("model")
	if !s.up.Has(m) || !p.Allows(m) {
		writeError(w, openai.Errorf(http.StatusNotFound, openai.CodeModelNotFound, "the model %q does not exist", m))
		return
	}
	writeJSON(w, modelObject{ID: m, Object: "model", OwnedBy: "rampart"})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// nopReservation stands in when no limiter is configured.
type nopReservation struct{}

func (nopReservation) Status() ratelimit.Status {
	return ratelimit.Status{LimitRequests: -1, LimitTokens: -1}
}
func (nopReservation) Consume(context.Context, int64) error { return nil }
func (nopReservation) Settle(context.Context, int64, int64) {}
