package guard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"rampart/internal/guard"
	"rampart/internal/openai"
	"rampart/internal/redact"
)

// chatSSE frames deltas as an upstream chat stream with a finish chunk,
// a usage chunk and [DONE].
func chatSSE(deltas ...string) string {
	var b strings.Builder
	b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n")
	for _, d := range deltas {
		j, _ := json.Marshal(d)
		fmt.Fprintf(&b, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":%s},"finish_reason":null}]}`+"\n\n", j)
	}
	b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

type parsed struct {
	content          map[int]string
	tools            map[[2]int]string
	finish           map[int]string
	finishBeforeText bool
	errs             []string
	done             bool
	afterDone        bool
	ids              map[string]bool
}

// parseSSE decodes the guarded stream the way a client would.
func parseSSE(t testing.TB, out []byte) parsed {
	t.Helper()
	p := parsed{content: map[int]string{}, tools: map[[2]int]string{}, finish: map[int]string{}, ids: map[string]bool{}}
	r := openai.NewSSEReader(bytes.NewReader(out))
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if !ev.HasData {
			continue
		}
		if p.done {
			p.afterDone = true
		}
		if ev.IsDone() {
			p.done = true
			continue
		}
		var c struct {
			ID      string `json:"id"`
			Error   *openai.Error
			Choices []struct {
				Index int     `json:"index"`
				Text  *string `json:"text"`
				Delta struct {
					Content   *string `json:"content"`
					ToolCalls []struct {
						Index    int `json:"index"`
						Function struct {
							Arguments string `json:"arguments"`
						} `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			t.Fatalf("invalid event JSON %q: %v", ev.Data, err)
		}
		if c.Error != nil {
			p.errs = append(p.errs, c.Error.Code+": "+c.Error.Message)
			continue
		}
		p.ids[c.ID] = true
		for _, ch := range c.Choices {
			txt := ""
			if ch.Delta.Content != nil {
				txt = *ch.Delta.Content
			}
			if ch.Text != nil {
				txt = *ch.Text
			}
			if txt != "" || len(ch.Delta.ToolCalls) > 0 {
				if _, ok := p.finish[ch.Index]; ok {
					p.finishBeforeText = true
				}
			}
			p.content[ch.Index] += txt
			for _, tc := range ch.Delta.ToolCalls {
				p.tools[[2]int{ch.Index, tc.Index}] += tc.Function.Arguments
			}
			if ch.FinishReason != nil {
				p.finish[ch.Index] = *ch.FinishReason
			}
		}
	}
	return p
}

func relay(t testing.TB, o *guard.Output, upstream string) (guard.SSEResult, parsed, []byte) {
	t.Helper()
	var out bytes.Buffer
	res, err := o.RelaySSE(context.Background(), &out, strings.NewReader(upstream), guard.SSEOptions{})
	if err != nil {
		t.Fatalf("RelaySSE: %v", err)
	}
	return res, parseSSE(t, out.Bytes()), out.Bytes()
}

func TestRelayRedactsSplitSecretAndRestores(t *testing.T) {
	v := redact.NewVault()
	ph := v.Placeholder("EMAIL", "alice@corp.example")
	o := &guard.Output{Policy: testPolicy(t, ""), Vault: v}
	up := chatSSE("Your key is sk-ABCDEFGH", "IJKLMNOP1234 and mail ", ph[:3], ph[3:], " now. ", strings.Repeat("filler ", 40))
	res, p, raw := relay(t, o, up)
	want := "Your key is [SECRET] and mail alice@corp.example now. " + strings.Repeat("filler ", 40)
	if p.content[0] != want {
		t.Fatalf("content:\n got %q\nwant %q\nraw:\n%s", p.content[0], want, raw)
	}
	if p.finish[0] != "stop" || p.finishBeforeText || !p.done || p.afterDone {
		t.Fatalf("framing: %+v", p)
	}
	if !p.ids["chatcmpl-1"] || len(p.ids) != 1 {
		t.Fatalf("ids %v", p.ids)
	}
	if res.Usage == nil || res.Usage.CompletionTokens != 9 || res.CompletionTokens != 9 {
		t.Fatalf("usage %+v", res.Usage)
	}
	if res.Blocked || res.Text != want || res.End != "done" {
		t.Fatalf("result %+v", res)
	}
	if len(res.Decision.Findings) != 1 || res.Decision.Findings[0].Type != "SECRET" {
		t.Fatalf("findings %+v", res.Decision.Findings)
	}
}

func TestRelayBlocksMidStream(t *testing.T) {
	o := &guard.Output{Policy: testPolicy(t, "")}
	res, p, raw := relay(t, o, chatSSE(strings.Repeat("safe text ", 30), "the forbidden ", "fruit is ", strings.Repeat("more ", 50)))
	if !res.Blocked || len(p.errs) != 1 || !strings.Contains(p.errs[0], "content_policy_violation") || !strings.Contains(p.errs[0], "DENIED_PHRASE") {
		t.Fatalf("not blocked properly: %+v\n%s", p, raw)
	}
	if strings.Contains(p.content[0], "forbidden") || !p.done || p.afterDone {
		t.Fatalf("leak or framing: %+v", p)
	}
}
