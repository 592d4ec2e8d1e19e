package proxy

import (
	"os"
	"strings"
	"testing"

	"rampart/internal/config"
)

// The complete example in docs/upstreams.md must decode and validate; only
// its TLS files, which do not exist here, may be reported.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/upstreams.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	_, after, ok := strings.Cut(string(doc), "```yaml\n")
	if !ok {
		t.Fatal("no yaml example in docs/upstreams.md")
	}
	example, _, _ := strings.Cut(after, "```")
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("AZURE_OPENAI_KEY", "az-test")
	var c Config
	if err := config.DecodeStrict([]byte(example), &c); err != nil {
		t.Fatal(err)
	}
	assertProblems(t, &c, []string{"upstreams[6].tls.ca_file", "upstreams[6].tls.cert_file"})
	c.Upstreams[6].TLS = TLSConfig{}
	p, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, m := range []string{"smart", "gpt-4o", "fast", "llama3.1:8b", "o3"} {
		if !p.Has(m) {
			t.Errorf("the example does not route %s", m)
		}
	}
}
