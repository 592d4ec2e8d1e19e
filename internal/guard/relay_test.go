package guard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"rampart/internal/guard"
	"rampart/internal/openai"
)

func TestRelayToolCallsAndChoices(t *testing.T) {
	o := &guard.Output{Policy: testPolicy(t, "")}
	ev := func(s string) string { return "data: " + s + "\n\n" }
	up := ev(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"A: sk-Abc"},"finish_reason":null},{"index":1,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"send","arguments":""}}]},"finish_reason":null}]}`) +
		ev(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":1,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"to\":\"eve@evil"}}]},"finish_reason":null}]}`) +
		": ping\n\n" +
		ev(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"def0123456789XYZ ok"},"logprobs":{"content":[{"token":"sk"}]},"finish_reason":null},{"index":1,"delta":{"tool_calls":[{"index":0,"function":{"arguments":".com\"}"}}]},"finish_reason":null}]}`) +
		ev(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":1,"delta":{},"finish_reason":"tool_calls"}]}`) +
		ev(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`) +
		"data: [DONE]\n\n"
	res, p, raw := relay(t, o, up)
	if p.content[0] != "A: [SECRET] ok" {
		t.Errorf("choice 0: %q\n%s", p.content[0], raw)
	}
	if got := p.tools[[2]int{1, 0}]; got != `{"to":"[EMAIL]"}` {
		t.Errorf("tool args: %q\n%s", got, raw)
	}
	if p.finish[0] != "stop" || p.finish[1] != "tool_calls" || p.finishBeforeText || !p.done {
		t.Errorf("framing %+v", p)
	}
	if bytes.Contains(raw, []byte(`"token":"sk"`)) || !bytes.Contains(raw, []byte(": keep-alive")) || !bytes.Contains(raw, []byte(`"call_1"`)) {
		t.Errorf("logprobs/comments/tool header:\n%s", raw)
	}
	if len(res.Decision.Findings) != 2 {
		t.Errorf("findings %+v", res.Decision.Findings)
	}
}

func TestRelayTextCompletion(t *testing.T) {
	o := &guard.Output{Policy: testPolicy(t, "")}
	up := `data: {"id":"cmpl","object":"text_completion","created":1,"model":"m","choices":[{"text":"mail bob@","index":0,"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		`data: {"id":"cmpl","object":"text_completion","created":1,"model":"m","choices":[{"text":"corp.com now","index":0,"logprobs":null,"finish_reason":null}]}` + "\n\n"
	res, p, raw := relay(t, o, up) // no [DONE] from upstream
	if p.content[0] != "mail [EMAIL] now" || !p.done || res.End != "eof" {
		t.Fatalf("%q %+v %s\n%s", p.content[0], p, res.End, raw)
	}
	if !bytes.Contains(raw, []byte(`"object":"text_completion"`)) {
		t.Fatalf("object lost:\n%s", raw)
	}
}

type failingReader struct {
	data string
	done bool
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.done {
		return 0, errors.New("connection reset")
	}
	f.done = true
	return copy(p, f.data), nil
}

func TestRelayUpstreamFailure(t *testing.T) {
	o := &guard.Output{Policy: testPolicy(t, "")}
	var out bytes.Buffer
	src := &failingReader{data: `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"partial answer"}}]}` + "\n\n"}
	res, err := o.RelaySSE(context.Background(), &out, src, guard.SSEOptions{})
	if !errors.Is(err, guard.ErrUpstreamRead) || res.End != "read_error" {
		t.Fatalf("err %v end %s", err, res.End)
	}
	p := parseSSE(t, out.Bytes())
	if p.content[0] != "partial answer" || len(p.errs) != 1 || !strings.HasPrefix(p.errs[0], "upstream_error") || !p.done {
		t.Fatalf("%+v\n%s", p, out.Bytes())
	}
}

func TestRelayBudget(t *testing.T) {
	o := &guard.Output{Policy: testPolicy(t, "")}
	var spent int64
	var out bytes.Buffer
	up := chatSSE(strings.Repeat("word ", 100), strings.Repeat("more ", 100), strings.Repeat("last ", 100))
	res, err := o.RelaySSE(context.Background(), &out, strings.NewReader(up), guard.SSEOptions{Consume: func(n int64) *openai.Error {
		spent += n
		if spent > 150 {
			return openai.Errorf(429, openai.CodeQuotaExceeded, "token budget exhausted")
		}
		return nil
	}})
	if err != nil || !res.Blocked || res.End != "budget" {
		t.Fatalf("%v %+v", err, res)
	}
	p := parseSSE(t, out.Bytes())
	if len(p.errs) != 1 || !strings.HasPrefix(p.errs[0], "quota_exceeded") || !p.done || len(p.content[0]) > 600 {
		t.Fatalf("%+v", p)
	}
}

// TestRelayFirstTokenNotDelayed: once more than the holdback has arrived,
// text is released in the same event, without waiting for the next one.
func TestRelayReleasesWithoutNextEvent(t *testing.T) {
	o := &guard.Output{Policy: testPolicy(t, "")}
	pr, pw := io.Pipe()
	out := &eventWriter{ch: make(chan string, 100)}
	done := make(chan error, 1)
	go func() {
		_, err := o.RelaySSE(context.Background(), out, pr, guard.SSEOptions{})
		done <- err
	}()
	head := `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":%q}}]}` + "\n\n"
	fmt.Fprintf(pw, head, strings.Repeat("x", 1000))
	got := <-out.ch // arrives while upstream stays open
	if !strings.Contains(got, "xxxx") {
		t.Fatalf("first event %q", got)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type eventWriter struct{ ch chan string }

func (w *eventWriter) Write(p []byte) (int, error) {
	w.ch <- string(p)
	return len(p), nil
}

// FuzzRelaySSE: any upstream bytes give a valid SSE stream whose last
// event is [DONE], and no panic.
func FuzzRelaySSE(f *testing.F) {
	f.Add(chatSSE("hello sk-AbCdEf0123456789XyZ", " bob@corp.com ![a](https://e.x/?q=<EMAIL_1>)"))
	f.Add("data: {\"choices\":[{\"index\":3,\"delta\":{\"tool_calls\":[{\"index\":9,\"function\":{\"arguments\":\"{\"}}]}}]}\n\n")
	f.Add("data: {\"error\":{\"message\":\"x\"}}\n\n")
	f.Add("data: {\"choices\":[{\"text\":\"a\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\ndata: {}\n\n")
	pol := testPolicy(f, "")
	f.Fuzz(func(t *testing.T, up string) {
		o := &guard.Output{Policy: pol}
		var out bytes.Buffer
		_, err := o.RelaySSE(context.Background(), &out, strings.NewReader(up), guard.SSEOptions{})
		if err != nil {
			t.Fatalf("RelaySSE: %v", err)
		}
		r := openai.NewSSEReader(bytes.NewReader(out.Bytes()))
		var last *openai.Event
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("invalid SSE out: %v", err)
			}
			if last != nil && last.IsDone() {
				t.Fatalf("event after [DONE]:\n%s", out.Bytes())
			}
			last = ev
			if ev.HasData && !ev.IsDone() && !jsonValid(ev.Data) {
				t.Fatalf("invalid JSON event %q", ev.Data)
			}
		}
		if last == nil || !last.IsDone() {
			t.Fatalf("[DONE] not last:\n%s", out.Bytes())
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }

// The usage chunk the gateway asked for on the client's behalf is removed
// from the client's stream, yet still settles the budget.
func TestRelayDropUsage(t *testing.T) {
	pol := testPolicy(t, "")
	up := "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello there\"},\"finish_reason\":null}]}\n\n" +
		"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n" +
		"data: [DONE]\n\n"
	for _, drop := range []bool{false, true} {
		var out bytes.Buffer
		res, err := (&guard.Output{Policy: pol}).RelaySSE(context.Background(), &out, strings.NewReader(up), guard.SSEOptions{DropUsage: drop})
		if err != nil {
			t.Fatal(err)
		}
		if res.Usage == nil || res.Usage.TotalTokens != 5 {
			t.Fatalf("drop=%v: usage %+v", drop, res.Usage)
		}
		if got := strings.Contains(out.String(), `"usage"`); got == drop {
			t.Fatalf("drop=%v: usage in the client stream = %v:\n%s", drop, got, out.String())
		}
		if !strings.Contains(out.String(), "hello there") || !strings.HasSuffix(out.String(), "data: [DONE]\n\n") {
			t.Fatalf("drop=%v: stream %q", drop, out.String())
		}
	}
}
