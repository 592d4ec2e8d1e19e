package pii

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"rampart/internal/scan"
)

// The IBAN and IPv6 searches as they were, visiting every byte.

func (d *detector) ibansEveryByte() {
	t := d.text
	for i := 0; i+4 <= len(t); i++ {
		if !(isLetter(t[i]) && isLetter(t[i+1]) && isDigit(t[i+2]) && isDigit(t[i+3])) || (i > 0 && isAlnum(t[i-1])) {
			continue
		}
		// Lower-case IBANs are accepted; the checksum is case-free.
		want, ok := ibanLengths[strings.ToUpper(t[i:i+2])]
		if !ok {
			continue
		}
		var b strings.Builder
		j := i
		end := i
		for j < len(t) && b.Len() < want {
			c := t[j]
			switch {
			case isDigit(c) || isLetter(c):
				b.WriteByte(upper(c))
				j++
				end = j
			case c == ' ' && j+1 < len(t) && (isDigit(t[j+1]) || isLetter(t[j+1])):
				j++
			default:
				j = len(t) + 1
			}
		}
		if b.Len() != want || (end < len(t) && isAlnum(t[end])) {
			continue
		}
		if validIBAN(b.String()) {
			d.add(scan.IBAN, "iban", i, end, 1)
			i = end - 1
		}
	}
}
func (d *detector) ipv6EveryByte() {
	t := d.text
	isHexColon := func(c byte) bool {
		return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') || c == ':' || c == '.'
	}
	for i := 0; i < len(t); {
		if !isHexColon(t[i]) || (i > 0 && isAlnum(t[i-1])) {
			i++
			continue
		}
		j := i
		for j < len(t) && isHexColon(t[j]) {
			j++
		}
		d.ipv6Run(t, i, j)
		i = max(j, i+1)
	}
}

// testDetector is a detector after prepare, as find starts it.
func testDetector(s *Scanner, text string) *detector {
	d := &detector{s: s, text: text, sc: new(scratch)}
	d.prepare()
	return d
}

// TestIBANAndIPv6MatchEveryByte checks the digit-pair IBAN search and the
// colon-driven IPv6 search against the every-byte ones.
func TestIBANAndIPv6MatchEveryByte(t *testing.T) {
	sc, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	texts := cueTestTexts(t)
	r := rand.New(rand.NewPCG(11, 13))
	parts := []string{"DE89 3704 0044 0532 0130 00", "de89370400440532013000", "GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "NL91ABNA0417164300",
		"DE", "89", "12", "x", "a", "f", "ab", ":", "::", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1", "1.2.3.4", ".", " ", "%eth0", "g1:2:3", "std::vector", "-", "[", "]"}
	for range 4000 {
		var b strings.Builder
		for range 1 + r.IntN(10) {
			b.WriteString(parts[r.IntN(len(parts))])
			if r.IntN(3) == 0 {
				b.WriteByte(' ')
			}
		}
		texts = append(texts, b.String())
	}
	found := [2]int{}
	for _, text := range texts {
		for k, pair := range [2][2]func(*detector){
			{(*detector).ibans, (*detector).ibansEveryByte},
			{(*detector).ipv6, (*detector).ipv6EveryByte},
		} {
			a, b := testDetector(sc, text), testDetector(sc, text)
			pair[0](a)
			pair[1](b)
			if !slices.Equal(a.out, b.out) {
				t.Fatalf("search %d on %q:\n got %v\nwant %v", k, text, a.out, b.out)
			}
			found[k] += len(b.out)
		}
	}
	t.Logf("findings %v", found)
	if found[0] < 50 || found[1] < 50 {
		t.Fatalf("too few findings to compare: %v", found)
	}
	_ = netip.Addr{}
	_ = scan.IBAN
}

// TestPrepareCandidates checks prepare's candidate lists against the
// per-byte conditions the name and number loops used to test: caps are
// the positions gazetteerNames looked at, nums every position where
// numbers could start a cluster (a digit after a digit never could: it is
// glued to the one before).
func TestPrepareCandidates(t *testing.T) {
	sc, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range cueTestTexts(t) {
		d := testDetector(sc, text)
		var caps, nums []int32
		for i := 0; i < len(text); i++ {
			c := text[i]
			if ((c >= 'A' && c <= 'Z') || c >= 0x80) && (i == 0 || !isAlnum(text[i-1])) {
				caps = append(caps, int32(i))
			}
			startOK := isDigit(c) || ((c == '+' || c == '(') && i+1 < len(text) && isDigit(text[i+1]))
			if startOK && !(i > 0 && isDigit(c) && isDigit(text[i-1])) {
				nums = append(nums, int32(i))
			}
		}
		if !slices.Equal(d.sc.caps, caps) || !slices.Equal(d.sc.nums, nums) {
			t.Fatalf("candidates in %q:\n caps %v\nwant %v\n nums %v\nwant %v", text, d.sc.caps, caps, d.sc.nums, nums)
		}
	}
}

// TestValidPhoneCache checks that cached answers are libphonenumber's and
// that the cache stays bounded.
func TestValidPhoneCache(t *testing.T) {
	nums := []struct{ num, region string }{
		{"+44 20 7946 0958", ""}, {"+1 212 555 0187", ""}, {"+49 30 12345678", ""}, {"+999 1234", ""},
		{"030 12345678", "DE"}, {"(212) 555-0187", "US"}, {"090-1234-5678", "JP"}, {"12 34", "US"},
	}
	for round := range 3 {
		for _, n := range nums {
			if got, want := validPhone(n.num, n.region), parseValid(n.num, n.region); got != want {
				t.Fatalf("round %d: validPhone(%q, %q) = %v, want %v", round, n.num, n.region, got, want)
			}
		}
	}
	for i := range phoneCacheSize + 10 {
		validPhone("+1 212 555 "+strconv.Itoa(i), "")
	}
	phoneCache.RLock()
	n := len(phoneCache.m)
	phoneCache.RUnlock()
	if n > phoneCacheSize {
		t.Fatalf("cache holds %d entries", n)
	}
}
