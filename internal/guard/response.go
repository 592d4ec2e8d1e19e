package guard

import (
	"context"
	"errors"
	"fmt"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"rampart/internal/openai"
	"rampart/internal/policy"
	"rampart/internal/scan"
)

// ErrNotJSON is returned by CheckResponse for a body that is not a JSON
// object.
var ErrNotJSON = errors.New("guard: response body is not a JSON object")

// CheckResponse scans a non-streamed /v1/chat/completions or
// /v1/completions JSON body (every choice: message.content, refusal,
// reasoning, tool_calls[].function.arguments, function_call.arguments,
// text) and returns the body to send, the decision and the usage.
//
// The body comes back rewritten where the policy redacts and with this
// request's placeholders restored; a choice whose text changed loses its
// logprobs. When d.Enforced is policy.Block, out is nil: the caller sends
// BlockError(&d) instead. A body with no text is returned unchanged.
func (o *Output) CheckResponse(ctx context.Context, body []byte) (out []byte, d policy.Decision, usage *openai.Usage, err error) {
	if !gjson.ValidBytes(body) {
		return nil, d, nil, ErrNotJSON
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, d, nil, ErrNotJSON
	}
	if u := root.Get("usage"); u.IsObject() {
		usage = &openai.Usage{
			PromptTokens:     u.Get("prompt_tokens").Int(),
			CompletionTokens: u.Get("completion_tokens").Int(),
			TotalTokens:      u.Get("total_tokens").Int(),
		}
	}
	t := &scan.Text{Direction: scan.Output, Model: root.Get("model").String()}
	var choiceOf []int
	root.Get("choices").ForEach(func(k, c gjson.Result) bool {
		i := int(k.Int())
		add := func(path string, v gjson.Result) {
			if v.Type == gjson.String {
				t.Segments = append(t.Segments, scan.Segment{Role: "assistant", Path: fmt.Sprintf("choices.%d.%s", i, path), Text: v.String()})
				choiceOf = append(choiceOf, i)
			}
		}
		add("text", c.Get("text"))
		for _, f := range chatTextFields {
			add("message."+f, c.Get("message."+f))
		}
		add("message.function_call.arguments", c.Get("message.function_call.arguments"))
		c.Get("message.tool_calls").ForEach(func(j, tc gjson.Result) bool {
			add(fmt.Sprintf("message.tool_calls.%d.function.arguments", j.Int()), tc.Get("function.arguments"))
			return true
		})
		return true
	})
	if len(t.Segments) == 0 {
		return body, d, usage, nil
	}
	d, texts := o.Check(ctx, t)
	if d.Enforced == policy.Block {
		return nil, d, usage, nil
	}
	out = body
	changed := map[int]bool{}
	for i, s := range t.Segments {
		if texts[i] == s.Text {
			continue
		}
		nb, err := sjson.SetBytes(out, s.Path, texts[i])
		if err != nil {
			return nil, d, usage, fmt.Errorf("guard: rewrite %s: %w", s.Path, err)
		}
		out = nb
		changed[choiceOf[i]] = true
	}
	for c := range changed {
		p := fmt.Sprintf("choices.%d.logprobs", c)
		if gjson.GetBytes(out, p).Exists() {
			if nb, err := sjson.SetRawBytes(out, p, []byte("null")); err == nil {
				out = nb
			}
		}
	}
	return out, d, usage, nil
}
