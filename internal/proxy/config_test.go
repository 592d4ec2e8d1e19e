package proxy

import (
	"errors"
	"os"
	"slices"
	"testing"

	"rampart/internal/config"
)

func problemPaths(err error) []string {
	var ps config.Problems
	if !errors.As(err, &ps) {
		return nil
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Path)
	}
	return out
}

func assertProblems(t *testing.T, c *Config, want []string) {
	t.Helper()
	ch := config.NewChecker()
	c.Validate(ch)
	got := problemPaths(ch.Err())
	if !slices.Equal(got, want) {
		t.Errorf("problem paths:\n got %q\nwant %q\n(%v)", got, want, ch.Err())
	}
}

func loadFixture(t *testing.T, name string) *Config {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := config.DecodeStrict(b, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &c
}

func TestGoodConfig(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("AZURE_OPENAI_KEY", "az-test")
	c := loadFixture(t, "good.yaml")
	assertProblems(t, c, nil)
	p, err := New(*c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := []string{"embed", "fast", "gpt-4o", "gpt-4o-mini", "llama3.1:8b", "local", "meta-llama/Llama-3.1-70B-Instruct", "qwen2.5-coder", "smart"}
	if !slices.Equal(p.Models(), want) {
		t.Errorf("Models() = %q, want %q", p.Models(), want)
	}
	if !p.Has("o3") { // the catch-all sends other models to OpenAI
		t.Error("catch-all route not honoured")
	}
}

func TestBadConfig(t *testing.T) {
	os.Unsetenv("RAMPART_SURELY_UNSET")
	c := loadFixture(t, "bad.yaml")
	assertProblems(t, c, []string{
		"upstreams[0].type",
		"upstreams[0].url",
		"upstreams[1].name",
		"upstreams[1].url",
		"upstreams[1].api_version",
		"upstreams[1].deployments",
		"upstreams[1].api_key",
		"upstreams[1].headers[\"Authorization\"]",
		"upstreams[1].headers[\"Connection\"]",
		"upstreams[1].models[1]",
		"upstreams[1].weight",
		"upstreams[1].timeout",
		"upstreams[2].url",
		"upstreams[2].api_version",
		"upstreams[3].name",
		"upstreams[4].name",
		"upstreams[4].url",
		"routes[0].aliases[0]",
		"routes[0].upstreams[0]",
		"routes[0].upstreams[1]",
		"routes[0].upstreams[2]",
		"routes[1].model",
		"routes[1].upstreams",
		"routes[2].aliases",
		"routes[3].aliases[0]",
		"routes[3].upstreams[0]",
		"health.failure_threshold",
	})
	if _, err := New(*c, Options{}); err == nil {
		t.Error("New accepted a bad configuration")
	}
}

func TestEmptyConfig(t *testing.T) {
	assertProblems(t, &Config{}, []string{"upstreams"})
}
