package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"rampart/internal/scan"
)

// Kind is the endpoint a request body belongs to.
type Kind uint8

const (
	Chat Kind = iota + 1
	Completion
	Embedding
)

// Path returns the upstream path of the endpoint.
func (k Kind) Path() string {
	switch k {
	case Chat:
		return "/chat/completions"
	case Completion:
		return "/completions"
	case Embedding:
		return "/embeddings"
	}
	return ""
}

// Route is the metric/audit label of the endpoint.
func (k Kind) Route() string {
	switch k {
	case Chat:
		return "chat"
	case Completion:
		return "completions"
	case Embedding:
		return "embeddings"
	}
	return "unknown"
}

// Limits bound what ParseRequest accepts.
type Limits struct {
	MaxDepth    int // JSON nesting depth; default 64
	MaxMessages int // default 4096
}

// Request is a decoded request body: the fields the gateway relies on,
// validated, plus every piece of model-visible text as scan segments with
// their paths, so rewrites can be written back into Body.
type Request struct {
	Kind         Kind
	Model        string
	Stream       bool
	IncludeUsage bool  // stream_options.include_usage
	MaxTokens    int64 // the larger of max_tokens and max_completion_tokens; 0 = unset
	// The two fields as sent, for caps that rewrite them.
	MaxTokensField      int64
	MaxCompletionTokens int64
	N                   int64 // 0 = unset (1)
	Logprobs            bool
	TopLogprobs         int64
	ResponseFormat      []byte // raw response_format JSON, if any
	Segments            []scan.Segment
	System              []string // texts of system/developer messages
	Body                []byte
}

func invalid(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidRequest, format, args...)
}

// ParseRequest validates body for kind and extracts its text. It never
// panics on any input; problems come back as a 400 invalid_request Error.
func ParseRequest(kind Kind, body []byte, lim Limits) (*Request, *Error) {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = 64
	}
	if lim.MaxMessages <= 0 {
		lim.MaxMessages = 4096
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, invalid("request body is empty; send a JSON object")
	}
	d, dup, hasDup := jsonStructure(body)
	if d > lim.MaxDepth {
		return nil, invalid("JSON nesting is too deep (%d levels, limit %d)", d, lim.MaxDepth)
	}
	if !gjson.ValidBytes(body) {
		return nil, invalid("request body is not valid JSON")
	}
	// Text that is not UTF-8 is read one way by the guardrails and may be
	// read another way upstream (dropped, replaced or rejected).
	if !utf8.Valid(body) {
		return nil, invalid("request body is not valid UTF-8")
	}
	// The gateway reads the first of two equal keys, as gjson does, while
	// most upstreams keep the last one: a body with a duplicate key could
	// show the guardrails, the model allowlist and the limits one value
	// and the model another.
	if hasDup {
		return nil, invalid("duplicate key %q in a JSON object", truncate(dup, 64))
	}
	parsed := gjson.ParseBytes(body)
	if !parsed.IsObject() {
		return nil, invalid("request body must be a JSON object")
	}
	var rootVals [13]gjson.Result
	root := pick(parsed, rootKeys, rootVals[:])
	r := &Request{Kind: kind, Body: body}
	m := root.Get("model")
	if !m.Exists() || m.Type != gjson.String || m.Str == "" {
		return nil, invalid("'model' is required and must be a non-empty string")
	}
	r.Model = m.Str
	if len(r.Model) > 256 {
		return nil, invalid("'model' is too long")
	}
	var err *Error
	if r.Stream, err = optBool(root, "stream"); err != nil {
		return nil, err
	}
	if r.IncludeUsage, err = optBool(root, "stream_options.include_usage"); err != nil {
		return nil, err
	}
	if kind == Embedding && r.Stream {
		return nil, invalid("'stream' is not supported for embeddings")
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"max_tokens", &r.MaxTokensField}, {"max_completion_tokens", &r.MaxCompletionTokens}, {"n", &r.N}, {"top_logprobs", &r.TopLogprobs}} {
		v, err := optInt(root, f.name)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	r.MaxTokens = max(r.MaxTokensField, r.MaxCompletionTokens)
	lp := root.Get("logprobs")
	switch {
	case !lp.Exists() || lp.Type == gjson.Null:
	case lp.Type == gjson.True:
		r.Logprobs = true
	case lp.Type == gjson.False:
	case lp.Type == gjson.Number && kind == Completion:
		r.Logprobs, r.TopLogprobs = lp.Int() > 0, max(r.TopLogprobs, lp.Int())
	default:
		return nil, invalid("'logprobs' has the wrong type")
	}
	if rf := root.Get("response_format"); rf.Exists() && rf.Type != gjson.Null {
		if !rf.IsObject() {
			return nil, invalid("'response_format' must be an object")
		}
		r.ResponseFormat = []byte(rf.Raw)
	}
	switch kind {
	case Chat:
		err = r.chatSegments(root, lim)
	case Completion:
		err = r.stringOrList(root, "prompt", "", true)
	case Embedding:
		err = r.stringOrList(root, "input", "", false)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func optBool(root object, path string) (bool, *Error) {
	v := root.Get(path)
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return false, nil
	case v.Type == gjson.True:
		return true, nil
	case v.Type == gjson.False:
		return false, nil
	}
	return false, invalid("'%s' must be a boolean", path)
}

func optInt(root object, path string) (int64, *Error) {
	v := root.Get(path)
	if !v.Exists() || v.Type == gjson.Null {
		return 0, nil
	}
	if v.Type != gjson.Number {
		return 0, invalid("'%s' must be an integer", path)
	}
	n, perr := strconv.ParseInt(v.Raw, 10, 64)
	if perr != nil || n < 0 {
		return 0, invalid("'%s' must be a non-negative integer", path)
	}
	return n, nil
}

func (r *Request) chatSegments(root object, lim Limits) *Error {
	msgs := root.Get("messages")
	if !msgs.Exists() || !msgs.IsArray() {
		return invalid("'messages' is required and must be an array")
	}
	arr := msgs.Array()
	if len(arr) == 0 {
		return invalid("'messages' must not be empty")
	}
	if len(arr) > lim.MaxMessages {
		return invalid("too many messages (%d, limit %d)", len(arr), lim.MaxMessages)
	}
	for i, mv := range arr {
		p := "messages." + strconv.Itoa(i)
		if !mv.IsObject() {
			return invalid("'%s' must be an object", p)
		}
		var vals [5]gjson.Result
		m := pick(mv, messageKeys, vals[:])
		role := m.Get("role")
		if role.Type != gjson.String || role.Str == "" {
			return invalid("'%s.role' is required and must be a string", p)
		}
		c := m.Get("content")
		switch {
		case !c.Exists() || c.Type == gjson.Null:
			if role.Str != "assistant" && role.Str != "function" && role.Str != "tool" {
				return invalid("'%s.content' is required", p)
			}
		case c.Type == gjson.String:
			r.add(role.Str, p+".content", c.Str)
		case c.IsArray():
			for j, part := range c.Array() {
				pp := p + ".content." + strconv.Itoa(j)
				if !part.IsObject() {
					return invalid("'%s' must be an object", pp)
				}
				if t := part.Get("text"); t.Exists() {
					if t.Type != gjson.String {
						return invalid("'%s.text' must be a string", pp)
					}
					r.add(role.Str, pp+".text", t.Str)
				}
			}
		default:
			return invalid("'%s.content' must be a string or an array of content parts", p)
		}
		// Assistant tool calls and legacy function calls carry arguments
		// that the model wrote and will read back.
		// Text in any other type would reach the model unscanned.
		tcs := m.Get("tool_calls")
		if tcs.Exists() && tcs.Type != gjson.Null && !tcs.IsArray() {
			return invalid("'%s.tool_calls' must be an array", p)
		}
		for j, tc := range tcs.Array() {
			tp := p + ".tool_calls." + strconv.Itoa(j) + ".function.arguments"
			if !tc.IsObject() {
				return invalid("'%s.tool_calls.%d' must be an object", p, j)
			}
			if err := r.optText(role.Str, tp, tc.Get("function.arguments")); err != nil {
				return err
			}
		}
		if err := r.optText(role.Str, p+".function_call.arguments", m.Get("function_call.arguments")); err != nil {
			return err
		}
		if n := m.Get("name"); n.Exists() && n.Type != gjson.String {
			return invalid("'%s.name' must be a string", p)
		}
	}
	// Tool descriptions reach the model too.
	tools := root.Get("tools")
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return invalid("'tools' must be an array")
	}
	for i, t := range tools.Array() {
		if !t.IsObject() {
			return invalid("'tools.%d' must be an object", i)
		}
		if err := r.optText("tool_definition", "tools."+strconv.Itoa(i)+".function.description", t.Get("function.description")); err != nil {
			return err
		}
	}
	return nil
}

// optText adds v, found at path, as a segment: it must be a string when
// present.
func (r *Request) optText(role, path string, v gjson.Result) *Error {
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return nil
	case v.Type != gjson.String:
		return invalid("'%s' must be a string", path)
	}
	r.add(role, path, v.Str)
	return nil
}

func (r *Request) add(role, path, text string) {
	if text == "" {
		return
	}
	r.Segments = append(r.Segments, scan.Segment{Role: role, Path: path, Text: text})
	if role == "system" || role == "developer" {
		r.System = append(r.System, text)
	}
}

// stringOrList extracts a string or an array of strings (token arrays are
// accepted and carry no text).
func (r *Request) stringOrList(root object, field, role string, optional bool) *Error {
	v := root.Get(field)
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		if optional {
			return nil
		}
		return invalid("'%s' is required", field)
	case v.Type == gjson.String:
		r.add(role, field, v.Str)
	case v.IsArray():
		for i, e := range v.Array() {
			switch {
			case e.Type == gjson.String:
				r.add(role, field+"."+strconv.Itoa(i), e.Str)
			case e.Type == gjson.Number:
			case e.IsArray(): // a token array
			default:
				return invalid("'%s.%d' must be a string or tokens", field, i)
			}
		}
	default:
		return invalid("'%s' must be a string or an array", field)
	}
	return nil
}

// Rewrite writes new segment texts back into Body.
func (r *Request) Rewrite(texts map[int]string) error {
	for i, t := range texts {
		if i < 0 || i >= len(r.Segments) {
			continue
		}
		nb, err := sjson.SetBytes(r.Body, r.Segments[i].Path, t)
		if err != nil {
			return fmt.Errorf("rewrite %s: %w", r.Segments[i].Path, err)
		}
		r.Body = nb
		r.Segments[i].Text = t
	}
	return nil
}

// Set sets a top-level field of the body to a JSON value.
func (r *Request) Set(path string, value any) error {
	nb, err := sjson.SetBytes(r.Body, path, value)
	if err != nil {
		return err
	}
	r.Body = nb
	return nil
}

// SetModel rewrites the model field.
func (r *Request) SetModel(m string) error { return r.Set("model", m) }

// AddSystem prepends a system message carrying text (chat only).
func (r *Request) AddSystem(text string) error {
	if r.Kind != Chat || text == "" {
		return nil
	}
	msgs := gjson.GetBytes(r.Body, "messages")
	raw := msgs.Raw
	if len(raw) < 2 || raw[0] != '[' {
		return fmt.Errorf("messages is not an array")
	}
	content, err := json.Marshal(text)
	if err != nil {
		return err
	}
	const head = `{"role":"system","content":`
	comma := 0
	if rest := strings.TrimSpace(raw[1:]); len(rest) > 0 && rest[0] != ']' {
		comma = 1
	}
	// Splice the message in right after the array's '[' (gjson reports
	// where the array starts in Body), without re-encoding the body.
	at := msgs.Index
	if at <= 0 || at+len(raw) > len(r.Body) || string(r.Body[at:at+len(raw)]) != raw {
		return fmt.Errorf("messages not found in the body")
	}
	nb := make([]byte, 0, len(r.Body)+len(head)+len(content)+2)
	nb = append(nb, r.Body[:at+1]...)
	nb = append(nb, head...)
	nb = append(nb, content...)
	nb = append(nb, '}')
	if comma == 1 {
		nb = append(nb, ',')
	}
	nb = append(nb, r.Body[at+1:]...)
	r.Body = nb
	// Segment paths shift by one message.
	for i := range r.Segments {
		r.Segments[i].Path = shiftMessagePath(r.Segments[i].Path)
	}
	return nil
}

func shiftMessagePath(p string) string {
	const pre = "messages."
	if len(p) <= len(pre) || p[:len(pre)] != pre {
		return p
	}
	rest := p[len(pre):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(rest[:j])
	if err != nil {
		return p
	}
	return pre + strconv.Itoa(n+1) + rest[j:]
}

// object holds the members of a JSON object that the decoder reads,
// found in one pass: looking up several keys then costs one scan of the
// object instead of one per key (each of which skipped over the whole
// "messages" array or a long content string).
type object struct {
	keys []string
	vals []gjson.Result
}

var (
	rootKeys    = []string{"model", "stream", "stream_options", "max_tokens", "max_completion_tokens", "n", "top_logprobs", "logprobs", "response_format", "messages", "tools", "prompt", "input"}
	messageKeys = []string{"role", "content", "tool_calls", "function_call", "name"}
)

// pick fills vals (len(keys)) with the members named keys; the first
// member with a key wins, as with gjson.Get.
func pick(o gjson.Result, keys []string, vals []gjson.Result) object {
	o.ForEach(func(k, v gjson.Result) bool {
		for i, key := range keys {
			if k.Str == key {
				if !vals[i].Exists() {
					vals[i] = v
				}
				break
			}
		}
		return true
	})
	return object{keys, vals}
}

// Get returns the value at path, a picked key or "key.sub.path", like
// gjson.Result.Get.
func (o object) Get(path string) gjson.Result {
	key, rest, dotted := strings.Cut(path, ".")
	for i, k := range o.keys {
		if k == key {
			if dotted {
				return o.vals[i].Get(rest)
			}
			return o.vals[i]
		}
	}
	panic("openai: key not picked: " + key)
}

// maxKeyDepth bounds the nesting depth at which jsonStructure still
// tracks object keys; deeper documents fail the depth limit anyway.
const maxKeyDepth = 1024

// jsonStructure walks a JSON document once, without decoding it, and
// returns its maximum nesting depth and the first object key that occurs
// twice in the same object (decoded, so "a" and "\u0061" are equal), if
// any. Strings are skipped, so brackets inside them don't count. On invalid
// JSON the results are meaningless but it never panics.
func jsonStructure(b []byte) (maxDepth int, dup string, found bool) {
	type frame struct {
		obj   bool
		start int                 // first of this object's keys in keys
		set   map[string]struct{} // once the object has many keys
	}
	var (
		stackBuf [16]frame
		keysBuf  [64][]byte
		stack    = stackBuf[:0]
		keys     = keysBuf[:0]
		depth    int
		wantKey  bool // the next string in the current object is a key
	)
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '"':
			start, esc := i+1, false
			for i++; i < len(b); i++ {
				if b[i] == '\\' {
					esc = true
					i++
					continue
				}
				if b[i] == '"' {
					break
				}
			}
			if !wantKey || found || len(stack) == 0 || depth > maxKeyDepth {
				continue
			}
			wantKey = false
			end := min(i, len(b))
			k := b[start:end]
			if esc {
				var s string
				if json.Unmarshal(b[start-1:min(end+1, len(b))], &s) != nil {
					continue
				}
				k = []byte(s)
			}
			f := &stack[len(stack)-1]
			if f.set != nil {
				if _, ok := f.set[string(k)]; ok {
					dup, found = string(k), true
				}
				f.set[string(k)] = struct{}{}
				continue
			}
			for _, o := range keys[f.start:] {
				if bytes.Equal(o, k) {
					dup, found = string(k), true
				}
			}
			keys = append(keys, k)
			if n := len(keys) - f.start; n >= 16 {
				f.set = make(map[string]struct{}, 2*n)
				for _, o := range keys[f.start:] {
					f.set[string(o)] = struct{}{}
				}
				keys = keys[:f.start]
			}
		case '{', '[':
			depth++
			maxDepth = max(maxDepth, depth)
			wantKey = c == '{'
			if depth <= maxKeyDepth {
				stack = append(stack, frame{obj: c == '{', start: len(keys)})
			}
		case '}', ']':
			if depth <= maxKeyDepth && len(stack) > 0 {
				keys = keys[:stack[len(stack)-1].start]
				stack = stack[:len(stack)-1]
			}
			depth--
			wantKey = false
		case ',':
			wantKey = len(stack) > 0 && depth <= maxKeyDepth && stack[len(stack)-1].obj
		}
	}
	return maxDepth, dup, found
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
