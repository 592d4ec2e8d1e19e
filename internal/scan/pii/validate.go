package pii

import (
	"math/big"
	"strings"
)

// luhn reports whether the digit string passes the Luhn checksum.
func luhn(digits string) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(digits) > 0 && sum%10 == 0
}

// cardBrand returns the card network for a digit string whose IIN prefix
// and length fit one, or "".
func cardBrand(d string) string {
	n := len(d)
	p := func(k int) int {
		v := 0
		for i := 0; i < k && i < n; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	in := func(lo, hi int, lens ...int) bool {
		k := len(itoa(lo))
		if v := p(k); v < lo || v > hi {
			return false
		}
		for _, l := range lens {
			if n == l {
				return true
			}
		}
		return false
	}
	switch {
	case in(4, 4, 13, 16, 19):
		return "visa"
	case in(51, 55, 16), in(2221, 2720, 16):
		return "mastercard"
	case in(34, 34, 15), in(37, 37, 15):
		return "amex"
	case in(6011, 6011, 16, 17, 18, 19), in(644, 649, 16, 17, 18, 19), in(65, 65, 16, 17, 18, 19):
		return "discover"
	case in(300, 305, 14, 15, 16, 17, 18, 19), in(36, 36, 14, 15, 16, 17, 18, 19), in(38, 39, 14, 15, 16, 17, 18, 19), in(3095, 3095, 14, 16):
		return "diners"
	case in(35, 35, 16, 17, 18, 19), in(2131, 2131, 15), in(1800, 1800, 15):
		return "jcb"
	case in(62, 62, 16, 17, 18, 19), in(81, 81, 16, 17, 18, 19):
		return "unionpay"
	case in(50, 50, 12, 13, 14, 15, 16, 17, 18, 19), in(56, 69, 12, 13, 14, 15, 16, 17, 18, 19):
		return "maestro"
	case in(2200, 2204, 16, 17, 18, 19):
		return "mir"
	}
	return ""
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// validCard reports a Luhn-valid number with a known IIN range and length.
func validCard(digits string) bool {
	return len(digits) >= 12 && len(digits) <= 19 && luhn(digits) && cardBrand(digits) != "" && !repeated(digits)
}

func repeated(d string) bool {
	for i := 1; i < len(d); i++ {
		if d[i] != d[0] {
			return false
		}
	}
	return true
}

// ibanLengths holds the IBAN length of every country in the SWIFT IBAN
// registry (and a few partial-adoption countries).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
	"DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
	"GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
	"IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
	"LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
	"MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
	"PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
	"SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
	// Partial/experimental IBAN countries.
	"DZ": 26, "AO": 25, "BJ": 28, "BF": 28, "CM": 27, "CV": 25, "CF": 27, "TD": 27, "KM": 27,
	"CG": 27, "CI": 28, "GA": 27, "GQ": 27, "GW": 25, "IR": 26, "MG": 27, "ML": 28, "MA": 28,
	"MZ": 25, "NE": 28, "SN": 28, "TG": 28, "HT": 28,
}

// validIBAN checks an IBAN without spaces: country length and mod-97.
func validIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	if n, ok := ibanLengths[s[:2]]; !ok || n != len(s) {
		return false
	}
	if s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return false
	}
	var b strings.Builder
	rearranged := s[4:] + s[:4]
	for i := 0; i < len(rearranged); i++ {
		c := rearranged[i]
		switch {
		case '0' <= c && c <= '9':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteString(itoa(int(c-'A') + 10))
		default:
			return false
		}
	}
	// Piecewise mod 97 avoids big numbers; big.Int kept as the reference
	// in tests.
	rem := 0
	for _, c := range b.String() {
		rem = (rem*10 + int(c-'0')) % 97
	}
	return rem == 1
}

// ibanMod97Big is the obvious big-integer form, used by tests.
func ibanMod97Big(s string) int64 {
	var b strings.Builder
	r := s[4:] + s[:4]
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c >= 'A' && c <= 'Z' {
			b.WriteString(itoa(int(c-'A') + 10))
		} else {
			b.WriteByte(c)
		}
	}
	n, _ := new(big.Int).SetString(b.String(), 10)
	return new(big.Int).Mod(n, big.NewInt(97)).Int64()
}

// validSSN applies the SSA rules: area not 000, 666 or 900–999; group not
// 00; serial not 0000; and not the well-known advertising numbers.
func validSSN(area, group, serial string) bool {
	if len(area) != 3 || len(group) != 2 || len(serial) != 4 {
		return false
	}
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return false
	}
	switch area + group + serial {
	case "078051120", "219099999", "123456789":
		return false
	}
	return true
}
