package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rampart/internal/policy"
)

// Every example configuration in the repository must load and validate, so
// the documentation cannot drift from the code.
func TestExamplesLoad(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("AZURE_OPENAI_KEY", "az-test")
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		if strings.HasSuffix(f, "policy.yaml") {
			if _, err := policy.Load(f); err != nil {
				t.Errorf("%s: %v", f, err)
			}
			continue
		}
		c, err := LoadConfig(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		c.Defaults()
		if err := c.Validate(false); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestBadConfig(t *testing.T) {
	c, err := LoadConfig("testdata/bad/many.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	err = c.Validate(false)
	if err == nil {
		t.Fatal("accepted")
	}
	want, _ := os.ReadFile("testdata/bad/many.want")
	for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		if !strings.Contains(err.Error(), line) {
			t.Errorf("missing %q in:\n%v", line, err)
		}
	}
}

func TestUnknownField(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("listen: x\nupstream: y\n"), 0o600)
	_, err := LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "upstream") {
		t.Fatalf("err = %v", err)
	}
}

func TestNoUpstream(t *testing.T) {
	c := &Config{}
	c.Defaults()
	if err := c.Validate(false); err == nil || !strings.Contains(err.Error(), "no upstream configured") {
		t.Fatalf("err = %v", err)
	}
	if err := c.Validate(true); err != nil {
		t.Fatalf("demo mode: %v", err)
	}
}
