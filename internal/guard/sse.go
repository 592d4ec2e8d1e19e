package guard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"rampart/internal/openai"
	"rampart/internal/policy"
)

// SSEOptions tunes RelaySSE.
type SSEOptions struct {
	// Flush is called after each event written to dst.
	Flush func()
	// Consume, when set, is charged the estimated tokens of every event's
	// released text before the event is written; a non-nil error ends the
	// stream with that error event.
	Consume func(tokens int64) *openai.Error
	// DropUsage removes the usage chunk (and usage fields) from what the
	// client receives: the gateway asked the upstream for usage to settle
	// budgets, but the client did not (stream_options.include_usage), and
	// a chunk with no choices can break clients that did not expect it.
	// SSEResult.Usage is still filled.
	DropUsage bool
}

// SSEResult is what RelaySSE learned about the stream.
type SSEResult struct {
	Decision         policy.Decision // every output finding of the stream (all choices)
	Blocked          bool            // ended by a guardrail or Consume
	Usage            *openai.Usage   // from the upstream's usage chunk, if any
	CompletionTokens int64           // Usage.CompletionTokens, or an estimate from released text when Usage is nil
	Text             string          // released text of choice 0 (capped at MaxWholeText), for audit hashing
	// End says how the stream ended: "done" (upstream [DONE]), "eof"
	// (upstream closed without [DONE]), "blocked" (a guardrail),
	// "budget" (Consume), "upstream_error" (an error event from upstream,
	// passed on), "read_error" (reading upstream failed), or "canceled".
	End string
}

// ErrUpstreamRead wraps a failure to read the upstream stream. RelaySSE has
// then already ended the client's stream with an upstream_error event and
// [DONE].
var ErrUpstreamRead = errors.New("guard: reading upstream stream")

// RelaySSE reads an upstream OpenAI SSE stream (chat.completion.chunk or
// text_completion events) from src and writes the guarded stream to dst.
//
// Every text field of every choice (content, refusal, reasoning, tool-call
// and function-call arguments, completion text) is its own Stream with its
// own holdback. Released text is re-framed into chunk events that keep the
// upstream id, object, created, model and system_fingerprint; a choice's
// finish_reason goes out with or after the last of its held text; usage
// chunks, comments (as ": keep-alive") and [DONE] are kept. Logprobs are
// dropped (set to null), since they spell out tokens that a rewrite may
// have removed. A block ends the stream with a content_policy_violation
// error event then [DONE]; so does a Consume error with its own error.
//
// The returned error is nil when the stream ended normally, by a block or
// by the budget; it wraps ErrUpstreamRead when upstream failed (the client
// stream was ended properly), and is ctx's error or dst's write error when
// the client went away (nothing more could be written).
func (o *Output) RelaySSE(ctx context.Context, dst io.Writer, src io.Reader, opt SSEOptions) (SSEResult, error) {
	r := &relay{o: o, ctx: ctx, dst: dst, opt: opt, index: map[streamKey]int{}, byChoice: map[int][]*relayStream{}}
	err := r.run(openai.NewSSEReader(src))
	res := r.res
	for _, st := range r.streams {
		res.Decision.Findings = append(res.Decision.Findings, st.s.Decision.Findings...)
		res.Decision.Failures = append(res.Decision.Failures, st.s.Decision.Failures...)
		res.Decision.Action = max(res.Decision.Action, st.s.Decision.Action)
		res.Decision.Enforced = max(res.Decision.Enforced, st.s.Decision.Enforced)
	}
	res.Decision.Shadow = o.Policy.Shadow
	res.Text = r.text.String()
	if res.Usage != nil {
		res.CompletionTokens = res.Usage.CompletionTokens
	} else {
		res.CompletionTokens = estimateTokens(r.released)
	}
	return res, err
}

func estimateTokens(bytes int64) int64 { return (bytes + 3) / 4 }

// streamKey names one text field of one choice.
type streamKey struct {
	choice int
	field  string // content, refusal, reasoning_content, reasoning, text, function_call, tool
	tool   int    // tool call index for field "tool"
}

// path is the field's location in a chunk, as a scan.Segment path.
func (k streamKey) path() string {
	switch k.field {
	case "text":
		return fmt.Sprintf("choices.%d.text", k.choice)
	case "tool":
		return fmt.Sprintf("choices.%d.delta.tool_calls.%d.function.arguments", k.choice, k.tool)
	case "function_call":
		return fmt.Sprintf("choices.%d.delta.function_call.arguments", k.choice)
	}
	return fmt.Sprintf("choices.%d.delta.%s", k.choice, k.field)
}

type relayStream struct {
	key      streamKey
	s        *Stream
	finished bool
}

type relay struct {
	o       *Output
	ctx     context.Context
	dst     io.Writer
	opt     SSEOptions
	res     SSEResult
	streams []*relayStream
	index   map[streamKey]int
	// byChoice lists each choice's streams in order of appearance, so
	// per-choice work does not walk every stream of every choice (a chunk
	// with thousands of choices would otherwise cost quadratic time).
	byChoice map[int][]*relayStream
	meta     map[string]string // raw JSON of the last chunk's id, object, created, model, system_fingerprint
	object   string
	text     strings.Builder
	// released counts the bytes released to the client; consumed the
	// tokens charged to Consume so far.
	released int64
	consumed int64
}

// chatTextFields are the string fields of a chat delta that carry model
// text.
var chatTextFields = []string{"content", "refusal", "reasoning_content", "reasoning"}

var metaFields = []string{"id", "object", "created", "model", "system_fingerprint", "service_tier"}

func (r *relay) run(src *openai.SSEReader) error {
	for {
		if err := r.ctx.Err(); err != nil {
			r.res.End = "canceled"
			return err
		}
		ev, err := src.Next()
		if err != nil {
			if cerr := r.ctx.Err(); cerr != nil {
				r.res.End = "canceled"
				return cerr
			}
			if errors.Is(err, io.EOF) {
				r.res.End = "eof"
				return r.finish()
			}
			r.res.End = "read_error"
			if werr := r.endAll(); werr != nil || r.res.Blocked {
				return werr
			}
			e := openai.Errorf(502, openai.CodeUpstreamError, "the upstream stream failed")
			if werr := r.terminate(e); werr != nil {
				return werr
			}
			return fmt.Errorf("%w: %w", ErrUpstreamRead, err)
		}
		switch {
		case ev.Comment != "" && !ev.HasData:
			if err := r.write(&openai.Event{Comment: "keep-alive"}); err != nil {
				return err
			}
			continue
		case !ev.HasData:
			continue
		case ev.IsDone():
			r.res.End = "done"
			return r.finish()
		}
		if !gjson.ValidBytes(ev.Data) {
			continue // not JSON: nothing a client could use
		}
		chunk := gjson.ParseBytes(ev.Data)
		if !chunk.IsObject() {
			continue
		}
		if chunk.Get("error").Exists() {
			// Upstream failed mid-stream: settle what was received, pass
			// its error on, end.
			r.res.End = "upstream_error"
			if err := r.endAll(); err != nil || r.res.Blocked {
				return err
			}
			if err := r.write(&openai.Event{Name: ev.Name, Data: ev.Data, HasData: true}); err != nil {
				return err
			}
			return r.write(&openai.Event{Data: []byte("[DONE]"), HasData: true})
		}
		if err := r.chunk(chunk, ev.Data); err != nil || r.res.Blocked {
			return err
		}
	}
}

// stream returns the Stream of a field, creating it.
func (r *relay) stream(k streamKey) *relayStream {
	if i, ok := r.index[k]; ok {
		return r.streams[i]
	}
	rs := &relayStream{key: k, s: r.o.NewStream(r.ctx, len(r.streams), k.path())}
	r.index[k] = len(r.streams)
	r.streams = append(r.streams, rs)
	r.byChoice[k.choice] = append(r.byChoice[k.choice], rs)
	return rs
}

// releases collects the text released per field while handling one event.
type releases map[streamKey]string

func (r *relay) feed(rel releases, k streamKey, delta string) bool {
	rs := r.stream(k)
	if rs.finished {
		return true // text after the choice finished is dropped
	}
	out, blocked := rs.s.Write(delta)
	rel[k] += out
	return !blocked
}

// closeChoice settles every stream of a choice (all choices when choice <
// 0). It returns false when that blocked.
func (r *relay) closeChoice(rel releases, choice int) bool {
	streams := r.streams
	if choice >= 0 {
		streams = r.byChoice[choice]
	}
	for _, rs := range streams {
		if rs.finished {
			continue
		}
		rs.finished = true
		out, blocked := rs.s.Close()
		if blocked {
			return false
		}
		rel[rs.key] += out
	}
	return true
}

func (r *relay) chunk(chunk gjson.Result, raw []byte) error {
	if r.meta == nil {
		r.meta = map[string]string{}
	}
	for _, f := range metaFields {
		if v := chunk.Get(f); v.Exists() {
			r.meta[f] = v.Raw
		}
	}
	if obj := chunk.Get("object").String(); obj != "" {
		r.object = obj
	}
	if u := chunk.Get("usage"); u.IsObject() {
		r.res.Usage = &openai.Usage{
			PromptTokens:     u.Get("prompt_tokens").Int(),
			CompletionTokens: u.Get("completion_tokens").Int(),
			TotalTokens:      u.Get("total_tokens").Int(),
		}
	}
	choices := chunk.Get("choices")
	if r.opt.DropUsage && chunk.Get("usage").Exists() {
		if !choices.IsArray() || len(choices.Array()) == 0 {
			return nil // the usage-only chunk the client did not ask for
		}
		if nb, err := sjson.DeleteBytes(append([]byte(nil), raw...), "usage"); err == nil {
			raw, chunk = nb, gjson.ParseBytes(nb)
		}
	}
	if !choices.IsArray() {
		return r.write(&openai.Event{Data: raw, HasData: true})
	}
	rel := releases{}
	arr := choices.Array()
	finished := make([]bool, len(arr))
	for i, c := range arr {
		idx := i
		if v := c.Get("index"); v.Exists() {
			idx = int(v.Int())
		}
		if r.object == "" && c.Get("text").Exists() {
			r.object = "text_completion"
		}
		ok := true
		if t := c.Get("text"); t.Type == gjson.String {
			ok = r.feed(rel, streamKey{choice: idx, field: "text"}, t.String())
		}
		delta := c.Get("delta")
		for _, f := range chatTextFields {
			if v := delta.Get(f); ok && v.Type == gjson.String {
				ok = r.feed(rel, streamKey{choice: idx, field: f}, v.String())
			}
		}
		if v := delta.Get("function_call.arguments"); ok && v.Type == gjson.String {
			ok = r.feed(rel, streamKey{choice: idx, field: "function_call"}, v.String())
		}
		for j, tc := range delta.Get("tool_calls").Array() {
			k := j
			if v := tc.Get("index"); v.Exists() {
				k = int(v.Int())
			}
			if v := tc.Get("function.arguments"); ok && v.Type == gjson.String {
				ok = r.feed(rel, streamKey{choice: idx, field: "tool", tool: k}, v.String())
			}
		}
		if ok && c.Get("finish_reason").Type == gjson.String {
			finished[i] = true
			ok = r.closeChoice(rel, idx)
		}
		if !ok {
			return r.block()
		}
	}
	var out []string
	for i, c := range arr {
		if s, keep := r.rebuildChoice(c, i, rel, finished[i]); keep {
			out = append(out, s)
		}
	}
	if len(out) == 0 && len(arr) > 0 && !chunk.Get("usage").IsObject() {
		return nil // nothing to tell the client yet
	}
	data, err := sjson.SetRawBytes(append([]byte(nil), raw...), "choices", []byte("["+strings.Join(out, ",")+"]"))
	if err != nil {
		return nil
	}
	return r.emit(data, rel)
}

// rebuildChoice replaces a choice's text fields with what was released and
// reports whether the choice still says anything.
func (r *relay) rebuildChoice(c gjson.Result, pos int, rel releases, finished bool) (string, bool) {
	idx := pos
	if v := c.Get("index"); v.Exists() {
		idx = int(v.Int())
	}
	s := c.Raw
	set := func(path string, v string) {
		if ns, err := sjson.Set(s, path, v); err == nil {
			s = ns
		}
	}
	del := func(path string) {
		if ns, err := sjson.Delete(s, path); err == nil {
			s = ns
		}
	}
	if c.Get("logprobs").Exists() {
		if ns, err := sjson.SetRaw(s, "logprobs", "null"); err == nil {
			s = ns
		}
	}
	says := finished || c.Get("finish_reason").Type == gjson.String
	if c.Get("text").Exists() || r.object == "text_completion" {
		v := rel[streamKey{choice: idx, field: "text"}]
		set("text", v)
		says = says || v != ""
	}
	delta := c.Get("delta")
	if delta.Exists() {
		for _, f := range chatTextFields {
			k := streamKey{choice: idx, field: f}
			v, has := rel[k]
			switch {
			case v != "":
				set("delta."+f, v)
				says = true
			case delta.Get(f).Exists() && !has && delta.Get(f).Type != gjson.String:
				// null or other non-text value: keep as is
			case delta.Get(f).Exists():
				del("delta." + f)
			}
		}
		if fc := delta.Get("function_call"); fc.Exists() {
			v := rel[streamKey{choice: idx, field: "function_call"}]
			if fc.Get("arguments").Exists() {
				set("delta.function_call.arguments", v)
			}
			if v != "" || fc.Get("name").String() != "" {
				says = true
			} else {
				del("delta.function_call")
			}
		}
		if tcs := delta.Get("tool_calls"); tcs.IsArray() {
			var kept []string
			for j, tc := range tcs.Array() {
				k := j
				if v := tc.Get("index"); v.Exists() {
					k = int(v.Int())
				}
				v := rel[streamKey{choice: idx, field: "tool", tool: k}]
				ts := tc.Raw
				header := tc.Get("id").String() != "" || tc.Get("function.name").String() != "" || tc.Get("type").String() != ""
				if v == "" && !header {
					continue
				}
				if ns, err := sjson.Set(ts, "function.arguments", v); err == nil {
					ts = ns
				}
				kept = append(kept, ts)
			}
			if len(kept) == 0 {
				del("delta.tool_calls")
			} else {
				if ns, err := sjson.SetRaw(s, "delta.tool_calls", "["+strings.Join(kept, ",")+"]"); err == nil {
					s = ns
				}
				says = true
			}
		}
		// Any other delta key (role, audio, annotations, …) is news.
		gjson.Get(s, "delta").ForEach(func(k, _ gjson.Result) bool {
			says = true
			return false
		})
	}
	// Text fields released for a choice in this event but absent from
	// its delta (a finish chunk with an empty delta that settled held
	// text) are added.
	var listed map[int]bool
	for _, rs := range r.byChoice[idx] {
		k := rs.key
		v := rel[k]
		if v == "" {
			continue
		}
		switch k.field {
		case "text":
			if !c.Get("text").Exists() {
				set("text", v)
				says = true
			}
		case "tool":
			if listed == nil {
				listed = toolsListed(c.Get("delta.tool_calls"))
			}
			if !listed[k.tool] {
				s = appendTool(s, k.tool, v)
				says = true
			}
		case "function_call":
			if !c.Get("delta.function_call").Exists() {
				set("delta.function_call.arguments", v)
				says = true
			}
		default:
			if !c.Get("delta." + k.field).Exists() {
				set("delta."+k.field, v)
				says = true
			}
		}
	}
	return s, says
}

// toolsListed is the set of tool-call indexes of a delta's tool_calls.
func toolsListed(tcs gjson.Result) map[int]bool {
	listed := map[int]bool{}
	for j, tc := range tcs.Array() {
		k := j
		if v := tc.Get("index"); v.Exists() {
			k = int(v.Int())
		}
		listed[k] = true
	}
	return listed
}

func appendTool(choice string, tool int, args string) string {
	tc, _ := sjson.Set(`{}`, "index", tool)
	tc, _ = sjson.Set(tc, "function.arguments", args)
	if ns, err := sjson.SetRaw(choice, "delta.tool_calls.-1", tc); err == nil {
		return ns
	}
	return choice
}

// emit charges the budget for the released text of an event and writes it.
func (r *relay) emit(data []byte, rel releases) error {
	var n int64
	for k, v := range rel {
		n += int64(len(v))
		if k.choice == 0 && (k.field == "content" || k.field == "text") && r.text.Len() < MaxWholeText {
			r.text.WriteString(v[:min(len(v), MaxWholeText-r.text.Len())])
		}
	}
	r.released += n
	if r.opt.Consume != nil && n > 0 {
		want := estimateTokens(r.released) - r.consumed
		if want > 0 {
			r.consumed += want
			if e := r.opt.Consume(want); e != nil {
				r.res.Blocked = true
				r.res.End = "budget"
				return r.terminate(e)
			}
		}
	}
	return r.write(&openai.Event{Data: data, HasData: true})
}

// endAll settles every open stream and sends what they release, one chunk
// per choice.
func (r *relay) endAll() error {
	rel := releases{}
	if !r.closeChoice(rel, -1) {
		return r.block()
	}
	var order []int
	seen := map[int]bool{}
	for _, rs := range r.streams {
		if v := rel[rs.key]; v != "" && !seen[rs.key.choice] {
			seen[rs.key.choice] = true
			order = append(order, rs.key.choice)
		}
	}
	for _, c := range order {
		choice := r.synthChoice(c, rel)
		data := r.synthChunk(choice)
		sub := releases{}
		for _, rs := range r.byChoice[c] {
			if v, ok := rel[rs.key]; ok {
				sub[rs.key] = v
			}
		}
		if err := r.emit(data, sub); err != nil || r.res.Blocked {
			return err
		}
	}
	return nil
}

func (r *relay) synthChoice(c int, rel releases) string {
	s, _ := sjson.Set(`{}`, "index", c)
	if r.object == "text_completion" {
		s, _ = sjson.Set(s, "text", rel[streamKey{choice: c, field: "text"}])
		s, _ = sjson.SetRaw(s, "logprobs", "null")
		s, _ = sjson.SetRaw(s, "finish_reason", "null")
		return s
	}
	s, _ = sjson.SetRaw(s, "delta", "{}")
	for _, rs := range r.byChoice[c] {
		k := rs.key
		v := rel[k]
		if v == "" {
			continue
		}
		switch k.field {
		case "tool":
			s = appendTool(s, k.tool, v)
		case "function_call":
			s, _ = sjson.Set(s, "delta.function_call.arguments", v)
		case "text":
			s, _ = sjson.Set(s, "text", v)
		default:
			s, _ = sjson.Set(s, "delta."+k.field, v)
		}
	}
	s, _ = sjson.SetRaw(s, "logprobs", "null")
	s, _ = sjson.SetRaw(s, "finish_reason", "null")
	return s
}

func (r *relay) synthChunk(choice string) []byte {
	s := `{}`
	for _, f := range metaFields {
		if v, ok := r.meta[f]; ok {
			s, _ = sjson.SetRaw(s, f, v)
		}
	}
	if _, ok := r.meta["object"]; !ok {
		obj := r.object
		if obj == "" {
			obj = "chat.completion.chunk"
		}
		s, _ = sjson.Set(s, "object", obj)
	}
	s, _ = sjson.SetRaw(s, "choices", "["+choice+"]")
	return []byte(s)
}

// finish ends a stream that upstream completed (with or without [DONE]).
func (r *relay) finish() error {
	if err := r.endAll(); err != nil || r.res.Blocked {
		return err
	}
	return r.write(&openai.Event{Data: []byte("[DONE]"), HasData: true})
}

// block ends the stream with a content_policy_violation event naming only
// the finding types.
func (r *relay) block() error {
	r.res.Blocked = true
	r.res.End = "blocked"
	var d policy.Decision
	for _, rs := range r.streams {
		d.Findings = append(d.Findings, rs.s.Decision.Findings...)
		d.Failures = append(d.Failures, rs.s.Decision.Failures...)
		d.Action = max(d.Action, rs.s.Decision.Action)
	}
	return r.terminate(BlockError(&d))
}

// BlockError is the error sent when output guardrails block: the message
// names the finding types that blocked, never the matched text.
func BlockError(d *policy.Decision) *openai.Error {
	types := d.Types(policy.Block)
	msg := "the response was blocked by the output guardrails"
	if len(types) > 0 {
		msg += " (" + strings.Join(types, ", ") + ")"
	}
	return openai.Errorf(400, openai.CodePolicyViolation, "%s", msg)
}

func (r *relay) terminate(e *openai.Error) error {
	if err := r.write(&openai.Event{Data: e.Body(), HasData: true}); err != nil {
		return err
	}
	return r.write(&openai.Event{Data: []byte("[DONE]"), HasData: true})
}

func (r *relay) write(ev *openai.Event) error {
	if err := openai.WriteEvent(r.dst, ev); err != nil {
		return err
	}
	if r.opt.Flush != nil {
		r.opt.Flush()
	}
	return nil
}
