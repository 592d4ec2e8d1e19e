// Package secrets finds credentials in text: gitleaks' default rules (a
// generated table, run by Rampart's own keyword-prefiltered engine),
// private-key blocks, JWTs, connection strings with passwords, and
// password / API-key assignments with an entropy check.
package secrets

import (
	"context"
	"fmt"
	"regexp"

	"rampart/internal/config"
	"rampart/internal/scan"
)

// Name is the scanner's registry name.
const Name = "secrets"

func init() {
	scan.Register(scan.Spec{
		Name:    Name,
		Doc:     "Finds credentials (gitleaks' rules, private keys, JWTs, connection strings, password and API-key assignments) and reports them as SECRET with the rule ID.",
		Input:   true,
		Output:  true,
		Default: true,
		New: func(settings scan.Decoder) (scan.Scanner, error) {
			var s Settings
			if settings != nil {
				if err := settings(&s); err != nil {
					return nil, err
				}
			}
			return New(s)
		},
	})
}

// Settings configure the scanner.
type Settings struct {
	// Disable lists rule IDs that must not fire, e.g. [generic-api-key].
	Disable []string `yaml:"disable"`
	// Allow lists regexes; a secret value matching any of them is ignored
	// (for known test credentials).
	Allow []string `yaml:"allow"`
}

// Scanner is the secrets scanner. It is safe for concurrent use.
type Scanner struct {
	eng   *engine
	allow []*regexp.Regexp
}

// New builds a scanner from settings. Problems are reported as
// config.Problems with paths such as "allow[1]".
func New(s Settings) (*Scanner, error) {
	c := config.NewChecker()
	sc := &Scanner{}
	known := map[string]bool{}
	for _, r := range gitleaksRules {
		known[r.ID] = true
	}
	for _, r := range ownRules() {
		known[r.id] = true
	}
	disabled := map[string]bool{}
	for i, id := range s.Disable {
		if !known[id] {
			c.Field("disable").Index(i).Failf("unknown rule %q", id)
		}
		disabled[id] = true
	}
	for i, a := range s.Allow {
		re, err := regexp.Compile(a)
		if err != nil {
			c.Field("allow").Index(i).Failf("invalid regexp: %v", err)
			continue
		}
		sc.allow = append(sc.allow, re)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	var err error
	if len(disabled) == 0 {
		sc.eng, err = defaultEngine()
	} else {
		sc.eng, err = newEngine(disabled)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return sc, nil
}

// Name implements scan.Scanner.
func (s *Scanner) Name() string { return Name }

// Holdback implements guard.Holdbacker: the longest secret the rules look
// for is a private-key block.
func (s *Scanner) Holdback() int { return maxBlock }

// Scan implements scan.Scanner. It reads the raw and decoded views (not
// the case-folded ones), maps matches back to the original segment and
// reports each span once per rule.
func (s *Scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	views := t.Views
	if views == nil {
		views = make([]scan.View, len(t.Segments))
		for i, seg := range t.Segments {
			views[i] = scan.View{Segment: i, Kind: "raw", Text: seg.Text}
		}
	}
	type key struct {
		span scan.Span
		rule string
	}
	seen := map[key]bool{}
	var out []scan.Finding
	for i := range views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := &views[i]
		switch v.Kind {
		case "normalized", "rot13", "leet":
			// Case folding and letter rotations change a credential into
			// a different string; decoded layers (base64, hex, URL) are
			// scanned.
			continue
		}
		ms := s.eng.find(v.Text)
		for _, m := range ms {
			if s.allowed(v.Text[m.start:m.end]) {
				continue
			}
			sp := v.Span(m.start, m.end)
			k := key{sp, m.rule.id}
			if seen[k] || sp.End <= sp.Start {
				continue
			}
			seen[k] = true
			score := 1.0
			if m.rule.generic {
				score = 0.9
			}
			out = append(out, scan.Finding{Scanner: Name, Type: scan.Secret, Rule: m.rule.id, Span: sp, Score: score})
		}
	}
	return out, nil
}

func (s *Scanner) allowed(secret string) bool {
	for _, re := range s.allow {
		if re.MatchString(secret) {
			return true
		}
	}
	return false
}
