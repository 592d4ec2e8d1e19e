package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestNewKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k := NewKey()
		if len(k) != KeyLen || !strings.HasPrefix(k, KeyPrefix) {
			t.Fatalf("NewKey() = %q: want %d characters starting with %q", k, KeyLen, KeyPrefix)
		}
		if !WellFormed(k) {
			t.Fatalf("WellFormed(NewKey()) = false for %q", k)
		}
		if seen[k] || seen[k[:DisplayPrefixLen+10]] {
			t.Fatalf("NewKey repeated itself: %q", k)
		}
		seen[k], seen[k[:DisplayPrefixLen+10]] = true, true
		if DisplayPrefix(k) != k[:DisplayPrefixLen] {
			t.Fatalf("DisplayPrefix(%q) = %q", k, DisplayPrefix(k))
		}
	}
	// 52 base32 characters carry 260 bits, of which 256 are random.
	if keyBodyLen*5 < 256 {
		t.Fatalf("key body of %d characters is too short", keyBodyLen)
	}
}

func TestWellFormedRejects(t *testing.T) {
	k := NewKey()
	flip := func(i int) string {
		b := []byte(k)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, s := range map[string]string{
		"empty":        "",
		"prefix only":  KeyPrefix,
		"short":        k[:len(k)-1],
		"long":         k + "a",
		"other prefix": "sk_" + k[3:],
		"uppercase":    KeyPrefix + strings.ToUpper(k[3:]),
		"bad char":     k[:10] + "1" + k[11:],
		"typo in body": flip(20),
		"typo in sum":  flip(len(k) - 2),
	} {
		if WellFormed(s) {
			t.Errorf("WellFormed(%s: %q) = true", name, s)
		}
	}
}

func TestNewKeyID(t *testing.T) {
	a, b := NewKeyID(), NewKeyID()
	if a == b || !strings.HasPrefix(a, "key_") || len(a) != 4+24 {
		t.Errorf("NewKeyID() = %q, %q", a, b)
	}
}

func TestHashIsHMACSHA256(t *testing.T) {
	secrets := [][]byte{[]byte("0123456789abcdef0123456789abcdef"), make([]byte, 64), make([]byte, 100), []byte("k")}
	keys := []string{"", "x", NewKey(), strings.Repeat("z", maxFastKey), strings.Repeat("z", maxFastKey+1), strings.Repeat("q", 1000)}
	for _, s := range secrets {
		h := newHasher(s)
		for _, k := range keys {
			m := hmac.New(sha256.New, s)
			m.Write([]byte(k))
			want := m.Sum(nil)
			if got := Hash(s, k); !hmac.Equal(got, want) {
				t.Errorf("Hash(len %d, len %d) differs from crypto/hmac", len(s), len(k))
			}
			if got := h.sum(k); !hmac.Equal(got[:], want) {
				t.Errorf("hasher.sum(len %d, len %d) differs from crypto/hmac", len(s), len(k))
			}
		}
	}
	if hmac.Equal(Hash([]byte("a"), "k"), Hash([]byte("b"), "k")) {
		t.Error("the hash does not depend on the server secret")
	}
}
