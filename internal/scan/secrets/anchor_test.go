package secrets

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestAnchoredSameMatches checks that trying anchored patterns at keyword
// hits finds exactly what the unanchored search over windows finds.
func TestAnchoredSameMatches(t *testing.T) {
	fast, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	slow.noAnchor = true
	n := 0
	for _, r := range fast.rules {
		if r.anchored != nil {
			n++
		}
	}
	if n < 90 {
		t.Errorf("only %d anchored rules", n)
	}
	var texts []string
	corpus, err := os.ReadFile("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, strings.Split(string(corpus), "\n")...)
	texts = append(texts, string(corpus))
	if f, err := os.Open(examplesPath); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				texts = append(texts, rec.Text)
			}
		}
	}
	for _, c := range loadOOD(t) {
		texts = append(texts, c.text)
	}
	texts = append(texts, "rootPassword: Zq8!Lw3Rt7", "const stripeApiKey = 'q8Zr5Lw3Tt7Yp2Mn5Kd'", "DBPassword=Zq8!Lw3Rt7",
		"db_userPassword=Zq8!Lw3Rt7", "compass: N45W", "x-api-key=abcdef0123456789XYZ", "my_secret_token_value: 'Zq8Lw3Rt7Yp2Mn5Kd9Hs'",
		"curl -u admin:Sup3rS3cret https://x", "Bearer abcdefghij0123456789klmnop", "a.b-c_d.e.f.g.api_key = \"q8Zr5Lw3Tt7Yp2Mn5Kd\"")
	for _, tx := range texts {
		lower := lowerASCII(nil, tx)
		got, want := fast.find(tx, lower), slow.find(tx, lower)
		if !slices.EqualFunc(got, want, func(a, b match) bool { return a.rule.id == b.rule.id && a.start == b.start && a.end == b.end }) {
			t.Errorf("%q:\nanchored %v\nwindowed %v", tx, ids(got), ids(want))
		}
	}
}

func ids(ms []match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.rule.id)
	}
	return out
}
