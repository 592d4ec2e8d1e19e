package pii

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

func TestValidators(t *testing.T) {
	for _, c := range []struct {
		num  string
		want bool
	}{{"4111111111111111", true}, {"4111111111111112", false}, {"378282246310005", true}, {"1234567812345670", false}, {"0000000000000000", false}} {
		if got := validCard(c.num); got != c.want {
			t.Errorf("validCard(%s) = %v", c.num, got)
		}
	}
	for _, c := range []struct {
		iban string
		want bool
	}{{"DE89370400440532013000", true}, {"GB82WEST12345698765432", true}, {"GB82WEST1234569876543", false}, {"DE89370400440532013001", false}, {"XX89370400440532013000", false}} {
		if got := validIBAN(c.iban); got != c.want {
			t.Errorf("validIBAN(%s) = %v", c.iban, got)
		}
		if c.want && ibanMod97Big(c.iban) != 1 {
			t.Errorf("big mod 97 disagrees for %s", c.iban)
		}
	}
	for _, c := range []struct {
		a, g, s string
		want    bool
	}{{"123", "45", "6789", false}, {"123", "45", "6788", true}, {"000", "12", "3456", false}, {"666", "12", "3456", false}, {"900", "12", "3456", false}, {"123", "00", "3456", false}, {"123", "45", "0000", false}} {
		if got := validSSN(c.a, c.g, c.s); got != c.want {
			t.Errorf("validSSN(%s-%s-%s) = %v", c.a, c.g, c.s, got)
		}
	}
}

func TestTypesAndRegion(t *testing.T) {
	if _, err := New(Settings{Types: []string{"EMAIL", "NOPE"}, Region: "ZZ"}); err == nil ||
		!strings.Contains(err.Error(), "types[1]") || !strings.Contains(err.Error(), "region") {
		t.Fatalf("want problems at types[1] and region, got %v", err)
	}
	sc, err := New(Settings{Types: []string{scan.Email}})
	if err != nil {
		t.Fatal(err)
	}
	fs := scantest.Scan(t, sc, "mail a@example.org or call (212) 555-0187")
	if len(fs) != 1 || fs[0].Type != scan.Email {
		t.Fatalf("only EMAIL enabled: %v", fs)
	}
	de, _ := New(Settings{Region: "DE"})
	if fs := scantest.Scan(t, de, "Ruf an: 030 12345678"); len(fs) != 1 || fs[0].Type != scan.Phone {
		t.Fatalf("DE national number: %v", fs)
	}
}

func TestNotPII(t *testing.T) {
	sc, _ := New(Settings{})
	for _, text := range []string{
		"Order number 4111111111111111 was cancelled",
		"ISBN 978-0-306-40615-7",
		"Released in version 3.10.4.1 last year",
		"Tracking: 9400 1000 0000 0000 0000 00",
		"On 2023-11-05 the build 20231105 passed",
		"It costs $1,299.99 and weighs 2.5 kg.",
	} {
		if fs := scantest.Scan(t, sc, text); len(fs) != 0 {
			t.Errorf("%q: %v", text, fs)
		}
	}
}

func FuzzPII(f *testing.F) {
	sc, _ := New(Settings{})
	for _, s := range []string{"call (212) 555-0187", "4111 1111 1111 1111", "a@b.co", "DE89 3704 0044 0532 0130 00", "::1 fe80::1", "Dear Mr. Ünal Şahin", "\xff@\xfe", "12 rue de la Paix"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		scantest.CheckFindings(t, text, scantest.Scan(t, sc, text), scantest.Scan(t, sc, text))
	})
}
