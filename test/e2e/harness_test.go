// Package e2e drives the built rampart binary as an operator and a client
// would: the CLI to manage keys, and the official OpenAI Go SDK against
// the gateway in front of the project's own fake upstream.
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"rampart/internal/demo"
	"rampart/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

func rampart(t *testing.T, args ...string) string { return harness.Rampart(t, nil, args...) }

type createdKey = harness.Key

func createKey(t *testing.T, data string, args ...string) createdKey {
	return harness.CreateKey(t, nil, data, args...)
}

// gateway is a running `rampart serve` on a free port.
type gateway struct {
	*harness.Gateway
	Data string
}

func startGateway(t *testing.T, data string, args ...string) *gateway {
	t.Helper()
	g := harness.Start(t, nil, append([]string{"--listen", "127.0.0.1:0", "--data", data}, args...)...)
	return &gateway{Gateway: g, Data: data}
}

func (g *gateway) client(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(g.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

// post sends a raw request and returns status, headers and body.
func (g *gateway) post(t *testing.T, path, key string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func fakeUpstream(t *testing.T, s *demo.Server) string { return harness.FakeUpstream(t, s) }

func errorCode(t *testing.T, body []byte) string { return harness.ErrorCode(t, body) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(strings.TrimSpace(s)), v) }

func asAPIError(err error, target **openai.Error) bool { return errors.As(err, target) }
