package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Hasher replaces sensitive values with a keyed HMAC, so an operator can
// look up a known value (`rampart audit hash VALUE`) without the log
// revealing it. Plain hashes are not enough: API keys, e-mail addresses
// and short codes have little entropy and could be brute-forced.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher keyed with key.
func NewHasher(key []byte) Hasher { return Hasher{key: key} }

// Hash returns "hmac-sha256:" followed by the lowercase hex HMAC-SHA256 of
// v under the hasher's key, or "" for "". The format must never change,
// or old records stop matching.
func (h Hasher) Hash(v string) string {
	if v == "" {
		return ""
	}
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(v))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}
