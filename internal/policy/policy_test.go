package policy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rampart/internal/config"
	"rampart/internal/policy"
	"rampart/internal/scan"
	_ "rampart/internal/scan/all"
)

func TestBuiltinsCompile(t *testing.T) {
	for _, n := range policy.BuiltinNames() {
		set, err := policy.Builtin(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if set.Default.Name != n {
			t.Errorf("%s compiled as %q", n, set.Default.Name)
		}
		if len(set.Default.Pipeline(scan.Input).Scanners) == 0 || len(set.Default.Pipeline(scan.Output).Scanners) == 0 {
			t.Errorf("%s: no scanners", n)
		}
	}
}

func TestGoodFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		if _, err := policy.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Every bad fixture must fail with every problem its .want file lists, each
// with its path, in one pass.
func TestBadFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		_, err := policy.Load(f)
		if err == nil {
			t.Errorf("%s: accepted", f)
			continue
		}
		var ps config.Problems
		if !errors.As(err, &ps) {
			t.Errorf("%s: error is not config.Problems: %v", f, err)
			continue
		}
		want, rerr := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".want")
		if rerr != nil {
			t.Fatal(rerr)
		}
		got := err.Error()
		for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
			if !strings.Contains(got, line) {
				t.Errorf("%s: missing problem %q in:\n%s", f, line, got)
			}
		}
	}
}

func finding(typ string, score float64) scan.Finding {
	return scan.Finding{Scanner: "t", Type: typ, Score: score, Span: scan.Span{End: 1}}
}

func TestDecide(t *testing.T) {
	set, err := policy.Builtin("balanced")
	if err != nil {
		t.Fatal(err)
	}
	p := set.Default
	cases := []struct {
		name string
		dir  scan.Direction
		fs   []scan.Finding
		fail []scan.Failure
		want policy.Action
	}{
		{"nothing", scan.Input, nil, nil, policy.Allow},
		{"injection above threshold", scan.Input, []scan.Finding{finding(scan.PromptInjection, 0.9)}, nil, policy.Block},
		{"injection below threshold", scan.Input, []scan.Finding{finding(scan.PromptInjection, 0.2)}, nil, policy.Allow},
		{"email in prompt", scan.Input, []scan.Finding{finding(scan.Email, 1)}, nil, policy.Pseudonymize},
		{"email in answer", scan.Output, []scan.Finding{finding(scan.Email, 1)}, nil, policy.Redact},
		{"secret beats email", scan.Input, []scan.Finding{finding(scan.Email, 1), finding(scan.Secret, 1)}, nil, policy.Redact},
		{"block beats all", scan.Input, []scan.Finding{finding(scan.Secret, 1), finding(scan.Jailbreak, 0.99)}, nil, policy.Block},
		{"hidden text flagged", scan.Input, []scan.Finding{finding(scan.InvisibleText, 1)}, nil, policy.Flag},
		{"leak blocks answer", scan.Output, []scan.Finding{finding(scan.SystemPromptLeak, 1)}, nil, policy.Block},
		{"scanner failure fails closed", scan.Input, nil, []scan.Failure{{Scanner: "x", Err: errors.New("boom")}}, policy.Block},
	}
	for _, c := range cases {
		d := p.Decide(c.dir, c.fs, c.fail)
		if d.Action != c.want || d.Enforced != c.want {
			t.Errorf("%s: action %v enforced %v, want %v", c.name, d.Action, d.Enforced, c.want)
		}
	}
	d := p.Decide(scan.Input, []scan.Finding{finding(scan.Jailbreak, 0.97)}, nil)
	if d.Scores["jailbreak"] != 0.97 || len(d.Types(policy.Block)) != 1 || d.Types(policy.Block)[0] != scan.Jailbreak {
		t.Errorf("scores %v types %v", d.Scores, d.Types(policy.Block))
	}
}

func TestShadowAndProfiles(t *testing.T) {
	set, err := policy.Load("testdata/good/custom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if set.Default.Name != "acme" {
		t.Fatalf("default %q", set.Default.Name)
	}
	shadow := set.For("", "key_0123456789abcdef01234567", "")
	if shadow.Name != "observe" || !shadow.Shadow {
		t.Fatalf("key profile: %q shadow=%v", shadow.Name, shadow.Shadow)
	}
	d := shadow.Decide(scan.Input, []scan.Finding{finding(scan.PromptInjection, 0.99)}, nil)
	if d.Action != policy.Block || d.Enforced != policy.Allow {
		t.Fatalf("shadow: %v/%v", d.Action, d.Enforced)
	}
	if p := set.For("research", "other", ""); p.Name != "lenient" {
		t.Fatalf("tenant profile %q", p.Name)
	}
	if p := set.For("research", "other", "strict"); p.Name != "strict" {
		t.Fatalf("key-record profile %q", p.Name)
	}
	if p := set.For("nobody", "other", ""); p != set.Default {
		t.Fatalf("default not used")
	}
	// The custom threshold 0.4 applies; 0.38 passes, 0.45 blocks.
	if d := set.Default.Decide(scan.Input, []scan.Finding{finding(scan.PromptInjection, 0.38)}, nil); d.Action != policy.Allow {
		t.Fatalf("0.38: %v", d.Action)
	}
	if d := set.Default.Decide(scan.Input, []scan.Finding{finding(scan.PromptInjection, 0.45)}, nil); d.Action != policy.Block {
		t.Fatalf("0.45: %v", d.Action)
	}
}

func TestDenylistFromPolicyBlocks(t *testing.T) {
	set, err := policy.Load("testdata/good/custom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t1 := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Role: "user", Text: "tell me about project nightingale"}}}
	if d := set.Default.Scan(context.Background(), t1); d.Action != policy.Block {
		t.Fatalf("deny phrase: %v %+v", d.Action, d.Findings)
	}
}

func TestObserveReachesEveryProfile(t *testing.T) {
	set, err := policy.Load("testdata/good/custom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	set.Observe(func(scanner string, _ time.Duration, _ int, _ error) { seen[scanner] = true })
	p, _ := set.Profile("lenient")
	p.Scan(context.Background(), &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Text: "hello"}}})
	if len(seen) == 0 {
		t.Fatal("a profile's scanners are not observed")
	}
}
