package secrets

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rampart/internal/scan"
	"rampart/internal/scan/scantest"
)

// oodCase is one case of testdata/ood.txt after expansion: its text and
// the spans of the marked secrets (none for a near-miss).
type oodCase struct {
	name    string
	text    string
	secrets [][2]int
}

var oodGen = regexp.MustCompile(`\{(a|u|k|l|L|h|d|s|b|p|basic|pem|pemx):(\d+)\}`)

// oodValue generates a value of the given kind from r.
func oodValue(r *rand.Rand, kind string, n int) string {
	const (
		upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		lower  = "abcdefghijklmnopqrstuvwxyz"
		digits = "0123456789"
		b64    = upper + lower + digits + "+/"
	)
	alphabet := map[string]string{
		"a": upper + lower + digits, "u": upper + digits, "k": upper + "234567", "l": lower + digits,
		"L": upper + lower, "h": digits + "abcdef", "d": digits,
		"s": upper + lower + digits + "_-", "b": b64,
	}
	pick := func(set string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = set[r.IntN(len(set))]
		}
		return string(b)
	}
	switch kind {
	case "p":
		// A chosen-looking password: letters, digits and a symbol.
		s := []byte(pick(upper+lower+digits, n-2))
		s = append(s, pick(digits, 1)[0], pick("!#%^*-_+?", 1)[0])
		r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		return string(s)
	case "basic":
		return base64.StdEncoding.EncodeToString([]byte("svc_" + pick(lower, 5) + ":" + oodValue(r, "p", n)))
	case "pem", "pemx":
		sep := "\n"
		if kind == "pemx" {
			sep = `\n`
		}
		lines := make([]string, n)
		for i := range lines {
			lines[i] = pick(b64, 64)
		}
		return strings.Join(lines, sep)
	}
	return pick(alphabet[kind], n)
}

// loadOOD reads testdata/ood.txt, expands the generators with a fixed
// seed and strips the «…» secret marks.
func loadOOD(t testing.TB) []oodCase {
	f, err := os.Open("testdata/ood.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(2026, 11))
	var cases []oodCase
	var cur *oodCase
	var body []string
	flush := func() {
		if cur == nil {
			return
		}
		raw := strings.TrimRight(strings.Join(body, "\n"), "\n")
		raw = oodGen.ReplaceAllStringFunc(raw, func(m string) string {
			sm := oodGen.FindStringSubmatch(m)
			n, _ := strconv.Atoi(sm[2])
			return oodValue(r, sm[1], n)
		})
		var b strings.Builder
		open := -1
		for _, c := range raw {
			switch c {
			case '«':
				open = b.Len()
			case '»':
				cur.secrets = append(cur.secrets, [2]int{open, b.Len()})
			default:
				b.WriteRune(c)
			}
		}
		cur.text = b.String()
		cases = append(cases, *cur)
		cur, body = nil, nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") && cur == nil:
		case strings.HasPrefix(line, "+ "), strings.HasPrefix(line, "- "):
			flush()
			cur = &oodCase{name: line}
		case cur != nil:
			body = append(body, line)
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

type oodResult struct {
	secrets, found      int
	nearMisses, fpCases int
	missed, fps, strays []string
}

func evalOOD(t testing.TB, sc scan.Scanner, cases []oodCase) oodResult {
	var res oodResult
	for _, c := range cases {
		fs := scantest.Scan(t, sc, c.text)
		if len(c.secrets) == 0 {
			res.nearMisses++
			if len(fs) > 0 {
				res.fpCases++
				for _, f := range fs {
					res.fps = append(res.fps, fmt.Sprintf("%s: %s %q", c.name, f.Rule, c.text[f.Span.Start:f.Span.End]))
				}
			}
			continue
		}
		for _, s := range c.secrets {
			res.secrets++
			hit := false
			for _, f := range fs {
				if f.Span.Start < s[1] && s[0] < f.Span.End {
					hit = true
				}
			}
			if hit {
				res.found++
			} else {
				res.missed = append(res.missed, fmt.Sprintf("%s: %q", c.name, c.text[s[0]:s[1]]))
			}
		}
		for _, f := range fs {
			marked := false
			for _, s := range c.secrets {
				if f.Span.Start < s[1] && s[0] < f.Span.End {
					marked = true
				}
			}
			if !marked {
				res.strays = append(res.strays, fmt.Sprintf("%s: %s %q", c.name, f.Rule, c.text[f.Span.Start:f.Span.End]))
			}
		}
	}
	return res
}

// TestOOD holds the scanner to its results on a hand-written corpus of
// secrets in real contexts (configs, manifests, commands, code, prose in
// several languages) and of near-misses (hashes, UUIDs, placeholders,
// public keys, public resource IDs) that must not fire.
func TestOOD(t *testing.T) {
	sc, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	res := evalOOD(t, sc, loadOOD(t))
	recall := float64(res.found) / float64(res.secrets)
	t.Logf("recall %.3f (%d/%d), near-miss cases with findings %d/%d", recall, res.found, res.secrets, res.fpCases, res.nearMisses)
	for _, m := range res.missed {
		t.Logf("missed %s", m)
	}
	for _, m := range res.strays {
		t.Logf("unmarked finding %s", m)
	}
	for _, m := range res.fps {
		t.Errorf("false positive %s", m)
	}
	if recall < 0.98 {
		t.Errorf("recall %.3f below the bar", recall)
	}
}
