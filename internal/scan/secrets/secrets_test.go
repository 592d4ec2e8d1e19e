package secrets

import (
	"strings"
	"testing"

	"rampart/internal/scan"
	"rampart/internal/scan/scantest"
)

func TestRegistered(t *testing.T) {
	sc := scantest.Registered(t, Name, true, true)
	if hb, ok := sc.(interface{ Holdback() int }); !ok || hb.Holdback() <= 0 {
		t.Errorf("no positive Holdback")
	}
}

func benchScan(b *testing.B, n int) {
	sc, err := New(Settings{})
	if err != nil {
		b.Fatal(err)
	}
	scantest.Bench(b, sc, n)
}

func BenchmarkScan1K(b *testing.B)  { benchScan(b, 1<<10) }
func BenchmarkScan4K(b *testing.B)  { benchScan(b, 4<<10) }
func BenchmarkScan64K(b *testing.B) { benchScan(b, 64<<10) }

func TestRules(t *testing.T) {
	sc, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, rule, secret string // rule "" = no finding
	}{
		{"key: AKIAZ7Q3N2LX5VW4KR6B", "aws-access-token", "AKIAZ7Q3N2LX5VW4KR6B"},
		{"AKIAIOSFODNN7EXAMPLE", "", ""},
		{"GITLAB=glpat-Zx8Kq2Lm9Tv4Wn7Rp3Ys", "gitlab-pat", "glpat-Zx8Kq2Lm9Tv4Wn7Rp3Ys"},
		{"mysql://root:Gh7!kLq2Zp@10.0.0.5:3306/app", "connection-string-password", "Gh7!kLq2Zp"},
		{"https://user:pass@example.com", "", ""},
		{"Data Source=db;Initial Catalog=x;User Id=u;Pwd=Xk9#mLq2Tz;", "connection-string-password", "Xk9#mLq2Tz"},
		{"password=changeme", "", ""},
		{"PASSWORD: ${DB_PASSWORD}", "", ""},
		{"password = config.database.password", "", ""},
		{"passwd: Qz8!rT3mXw", "generic-password", "Qz8!rT3mXw"},
		{"uuid: 123e4567-e89b-12d3-a456-426614174000", "", ""},
		{"the secret: 1.2.3", "", ""},
		{"token = 5f2b8c9d1e4a7b3c6d0e9f8a2b1c4d7e", "generic-api-key", "5f2b8c9d1e4a7b3c6d0e9f8a2b1c4d7e"},
		{"sha1 token da39a3ee5e6b4b0d3255bfef95601890afd80709", "", ""},
	}
	for _, tt := range tests {
		fs := scantest.Scan(t, sc, tt.text)
		if tt.rule == "" {
			if len(fs) != 0 {
				t.Errorf("%q: unexpected %v", tt.text, fs)
			}
			continue
		}
		found := false
		for _, f := range fs {
			if f.Type == scan.Secret && f.Rule == tt.rule && tt.text[f.Span.Start:f.Span.End] == tt.secret {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: want %s %q, got %v", tt.text, tt.rule, tt.secret, fs)
		}
	}
}

func TestDecodedView(t *testing.T) {
	sc, _ := New(Settings{})
	// base64 of "export GITHUB_TOKEN=ghp_4sT9vQ2mXr8LkP1zW7yN3bC6dF0hJ5gA2eRt"
	text := "run: ZXhwb3J0IEdJVEhVQl9UT0tFTj1naHBfNHNUOXZRMm1YcjhMa1Axelc3eU4zYkM2ZEYwaEo1Z0EyZVJ0"
	fs := scantest.Scan(t, sc, text)
	if len(fs) == 0 || fs[0].Rule != "github-pat" || fs[0].Span.Start < 5 {
		t.Fatalf("base64-wrapped token: %v", fs)
	}
}

func TestSettings(t *testing.T) {
	if _, err := New(Settings{Disable: []string{"no-such-rule"}, Allow: []string{"("}}); err == nil ||
		!strings.Contains(err.Error(), "disable[0]") || !strings.Contains(err.Error(), "allow[0]") {
		t.Fatalf("want problems at disable[0] and allow[0], got %v", err)
	}
	sc, err := New(Settings{Disable: []string{"github-pat"}, Allow: []string{`^AKIAZ7Q3`}})
	if err != nil {
		t.Fatal(err)
	}
	if fs := scantest.Scan(t, sc, "ghp_4sT9vQ2mXr8LkP1zW7yN3bC6dF0hJ5gA2eRt AKIAZ7Q3N2LX5VW4KR6B"); len(fs) != 0 {
		t.Fatalf("disabled/allowed still reported: %v", fs)
	}
}

func FuzzSecrets(f *testing.F) {
	sc, _ := New(Settings{})
	for _, s := range []string{"password=Xk9#mLq2Tz", "ghp_4sT9vQ2mXr8LkP1zW7yN3bC6dF0hJ5gA2eRt", "-----BEGIN PRIVATE KEY-----\nabc", "postgres://a:b@c", "\xff key=é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		scantest.CheckFindings(t, text, scantest.Scan(t, sc, text), scantest.Scan(t, sc, text))
	})
}

func TestMaskedMatchesRegexp(t *testing.T) {
	for _, s := range []string{"", "xxxx", "xXxX", "abcxxxd", "xxx", "***", "**", "####", "###", "•••", "••", "…", "...", "a..", "a..b",
		"________", "_______", "sk_live_xxxxxxxx", "Zq8Lw3Rt7Yp2Mn5Kd9Hs", "a.b.c", "x*x*x*x", "xx..xx", "AKIA****"} {
		if got, want := masked(s), maskRe.MatchString(s); got != want {
			t.Errorf("masked(%q) = %v, regexp says %v", s, got, want)
		}
	}
}
