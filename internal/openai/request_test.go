package openai

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

func TestParseRequestChat(t *testing.T) {
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"max_tokens":20,"max_completion_tokens":30,"n":2,
	"messages":[
	  {"role":"system","content":"be nice"},
	  {"role":"user","content":[{"type":"text","text":"part one"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"part two"}]},
	  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"q\":\"x\"}"}}]},
	  {"role":"tool","tool_call_id":"c1","content":"tool says hi"}
	],
	"tools":[{"type":"function","function":{"name":"f","description":"looks things up"}}],
	"response_format":{"type":"json_object"}}`
	r, err := ParseRequest(Chat, []byte(body), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "m" || !r.Stream || !r.IncludeUsage || r.MaxTokens != 30 || r.MaxTokensField != 20 || r.N != 2 {
		t.Fatalf("fields: %+v", r)
	}
	want := []struct{ role, path, text string }{
		{"system", "messages.0.content", "be nice"},
		{"user", "messages.1.content.0.text", "part one"},
		{"user", "messages.1.content.2.text", "part two"},
		{"assistant", "messages.2.tool_calls.0.function.arguments", `{"q":"x"}`},
		{"tool", "messages.3.content", "tool says hi"},
		{"tool_definition", "tools.0.function.description", "looks things up"},
	}
	if len(r.Segments) != len(want) {
		t.Fatalf("segments: %+v", r.Segments)
	}
	for i, w := range want {
		s := r.Segments[i]
		if s.Role != w.role || s.Path != w.path || s.Text != w.text {
			t.Errorf("segment %d = %+v, want %+v", i, s, w)
		}
		if got := gjson.GetBytes(r.Body, s.Path).String(); got != s.Text {
			t.Errorf("path %s reads %q from the body, want %q", s.Path, got, s.Text)
		}
	}
	if len(r.System) != 1 || string(r.ResponseFormat) != `{"type":"json_object"}` {
		t.Fatalf("system %v, response_format %s", r.System, r.ResponseFormat)
	}
}

func TestParseRequestErrors(t *testing.T) {
	cases := []struct {
		kind Kind
		body string
		msg  string
	}{
		{Chat, ``, "empty"},
		{Chat, `{"model":"m","messages":[`, "not valid JSON"},
		{Chat, `[1,2]`, "must be a JSON object"},
		{Chat, `{"messages":[{"role":"user","content":"x"}]}`, "'model' is required"},
		{Chat, `{"model":7,"messages":[]}`, "'model' is required"},
		{Chat, `{"model":"m"}`, "'messages' is required"},
		{Chat, `{"model":"m","messages":[]}`, "must not be empty"},
		{Chat, `{"model":"m","messages":["hi"]}`, "must be an object"},
		{Chat, `{"model":"m","messages":[{"content":"x"}]}`, "role"},
		{Chat, `{"model":"m","messages":[{"role":"user"}]}`, "content' is required"},
		{Chat, `{"model":"m","messages":[{"role":"user","content":5}]}`, "must be a string or an array"},
		{Chat, `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, "'stream' must be a boolean"},
		{Chat, `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-1}`, "non-negative"},
		{Chat, `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}`, "non-negative integer"},
		{Chat, `{"model":"m","messages":[{"role":"user","content":"x"}],"n":"2"}`, "'n' must be an integer"},
		{Chat, `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":"json"}`, "response_format"},
		{Chat, `{"model":"m","messages":[{"role":"user","content":"x"}],"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "too deep"},
		{Completion, `{"model":"m","prompt":{"a":1}}`, "'prompt' must be"},
		{Embedding, `{"model":"m"}`, "'input' is required"},
		{Embedding, `{"model":"m","input":"x","stream":true}`, "not supported"},
	}
	for _, c := range cases {
		_, err := ParseRequest(c.kind, []byte(c.body), Limits{})
		if err == nil {
			t.Errorf("%s: accepted", c.body)
			continue
		}
		if err.Status != 400 || err.Code != CodeInvalidRequest || !strings.Contains(err.Message, c.msg) {
			t.Errorf("%.60s: got %d %s %q, want message containing %q", c.body, err.Status, err.Code, err.Message, c.msg)
		}
	}
}

func TestRewriteAndAddSystem(t *testing.T) {
	r, err := ParseRequest(Chat, []byte(`{"model":"m","messages":[{"role":"user","content":"mail a@b.co"},{"role":"user","content":[{"type":"text","text":"x"}]}]}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Rewrite(map[int]string{0: "mail <EMAIL_1>", 1: "y"}); err != nil {
		t.Fatal(err)
	}
	if err := r.AddSystem("canary 123"); err != nil {
		t.Fatal(err)
	}
	b := gjson.ParseBytes(r.Body)
	if b.Get("messages.0.role").String() != "system" || b.Get("messages.0.content").String() != "canary 123" {
		t.Fatalf("system not prepended: %s", r.Body)
	}
	if b.Get("messages.1.content").String() != "mail <EMAIL_1>" || b.Get("messages.2.content.0.text").String() != "y" {
		t.Fatalf("rewrite lost: %s", r.Body)
	}
	if r.Segments[0].Path != "messages.1.content" || r.Segments[1].Path != "messages.2.content.0.text" {
		t.Fatalf("paths not shifted: %+v", r.Segments)
	}
}

func TestCompletionsAndEmbeddings(t *testing.T) {
	r, err := ParseRequest(Completion, []byte(`{"model":"m","prompt":["a","b",[1,2]],"logprobs":3}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Segments) != 2 || r.Segments[1].Path != "prompt.1" || !r.Logprobs || r.TopLogprobs != 3 {
		t.Fatalf("%+v", r)
	}
	r, err = ParseRequest(Embedding, []byte(`{"model":"m","input":"hello"}`), Limits{})
	if err != nil || len(r.Segments) != 1 || r.Segments[0].Path != "input" {
		t.Fatalf("%+v %v", r, err)
	}
}

// FuzzParseRequest: any body either decodes into segments whose paths read
// back exactly their text, or is refused with a 400; never a panic.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`), uint8(1))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a\"b"}]}],"stream":true}`), uint8(1))
	f.Add([]byte(`{"model":"m","prompt":["x",[1]]}`), uint8(2))
	f.Add([]byte(`{"model":"m","input":["x","y"]}`), uint8(3))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"\u0000\ud800"}]}`), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, k uint8) {
		kind := Kind(k%3 + 1)
		r, err := ParseRequest(kind, body, Limits{})
		if err != nil {
			if err.Status != 400 || err.Code != CodeInvalidRequest {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, s := range r.Segments {
			if got := gjson.GetBytes(r.Body, s.Path); got.String() != s.Text {
				t.Fatalf("path %q reads %q, segment has %q", s.Path, got.String(), s.Text)
			}
		}
		// Writing every segment back as something else must keep valid JSON.
		rw := map[int]string{}
		for i := range r.Segments {
			rw[i] = "[X]"
		}
		if err := r.Rewrite(rw); err != nil {
			return
		}
		if !gjson.ValidBytes(r.Body) || !utf8.Valid(r.Body) && utf8.Valid(body) {
			t.Fatalf("rewrite produced invalid JSON: %s", r.Body)
		}
	})
}

func BenchmarkParseRequest1KB(b *testing.B) {
	body := []byte(`{"model":"demo","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"` + strings.Repeat("Tell me about the weather in Paris. ", 28) + `"}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(Chat, body, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseRequestHostileBodies covers bodies a hostile client sends to
// make the gateway and the upstream read different requests.
func TestParseRequestHostileBodies(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, body, msg string
	}{
		{"duplicate model", `{"model":"m",` + msgs + `,"model":"other"}`, `duplicate key "model"`},
		{"duplicate messages", `{"model":"m",` + msgs + `,` + msgs + `}`, `duplicate key "messages"`},
		{"escaped duplicate", `{"model":"m",` + msgs + `,"mod\u0065l":"other"}`, `duplicate key "model"`},
		{"duplicate content", `{"model":"m","messages":[{"role":"user","content":"hi","content":"bye"}]}`, `duplicate key "content"`},
		{"duplicate part text", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a","text":"b"}]}]}`, `duplicate key "text"`},
		{"duplicate empty key", `{"model":"m",` + msgs + `,"x":{"":1,"":2}}`, `duplicate key ""`},
		{"duplicate in a large object", `{"model":"m",` + msgs + `,"logit_bias":{` + manyKeys(40) + `,"k7":1}}`, `duplicate key "k7"`},
		{"invalid UTF-8", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"h\xffi\"}]}", "UTF-8"},
		{"tools not an array", `{"model":"m",` + msgs + `,"tools":"x"}`, "'tools' must be an array"},
		{"tool not an object", `{"model":"m",` + msgs + `,"tools":[5]}`, "'tools.0' must be an object"},
		{"tool description not a string", `{"model":"m",` + msgs + `,"tools":[{"type":"function","function":{"name":"f","description":{"t":"x"}}}]}`, "description' must be a string"},
		{"tool call arguments not a string", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":"x"}}}]}]}`, "arguments' must be a string"},
		{"tool_calls not an array", `{"model":"m","messages":[{"role":"assistant","tool_calls":{}}]}`, "tool_calls' must be an array"},
		{"function_call arguments not a string", `{"model":"m","messages":[{"role":"assistant","function_call":{"name":"f","arguments":[1]}}]}`, "arguments' must be a string"},
	}
	for _, c := range cases {
		_, err := ParseRequest(Chat, []byte(c.body), Limits{})
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if err.Status != 400 || err.Code != CodeInvalidRequest || !strings.Contains(err.Message, c.msg) {
			t.Errorf("%s: got %d %s %q, want message containing %q", c.name, err.Status, err.Code, err.Message, c.msg)
		}
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":1`, i)
	}
	return b.String()
}

// TestParseRequestAcceptsLookalikes keeps bodies that only look like the
// hostile ones working.
func TestParseRequestAcceptsLookalikes(t *testing.T) {
	for _, body := range []string{
		// The same key in different objects, and key-like strings in values.
		`{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"user","content":"\"model\":1, \"x\":{"}],"x":{"model":"y"},"y":[{"a":1},{"a":2}]}`,
		// Unicode escapes, a lone surrogate and non-ASCII text.
		`{"model":"m","messages":[{"role":"user","content":"h\u00e9llo \ud800 日本語"}]}`,
		// Null tools and tool calls, and well-formed ones.
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":null}`,
		`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}`,
		// Many distinct keys in one object.
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"logit_bias":{` + manyKeys(500) + `}}`,
	} {
		if _, err := ParseRequest(Chat, []byte(body), Limits{}); err != nil {
			t.Errorf("%.80s: %v", body, err)
		}
	}
}

func TestJSONStructureDepth(t *testing.T) {
	for _, c := range []struct {
		body string
		want int
	}{
		{`{}`, 1}, {`{"a":[{"b":"[[[["}]}`, 3}, {`"\"["`, 0}, {strings.Repeat("[", 2000) + strings.Repeat("]", 2000), 2000},
	} {
		if d, _, _ := jsonStructure([]byte(c.body)); d != c.want {
			t.Errorf("%.40s: depth %d, want %d", c.body, d, c.want)
		}
	}
}
