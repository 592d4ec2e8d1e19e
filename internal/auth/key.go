// Package auth authenticates callers. API keys are high-entropy random
// secrets with a recognizable prefix; only HMAC-SHA256(server secret, key)
// is stored, and lookups compare hashes in constant time.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"hash/crc32"
)

// KeyPrefix starts every API key, so people and secret scanners can
// recognize one.
const KeyPrefix = "rk_"

const (
	keyRandomBytes = 32 // 256 bits of entropy
	keyBodyLen     = 52 // base32 of 32 bytes, unpadded
	keyCheckLen    = 7  // base32 of a CRC-32, unpadded
	// KeyLen is the length of every API key: "rk_" + 52 + 7 characters.
	KeyLen = len(KeyPrefix) + keyBodyLen + keyCheckLen
	// DisplayPrefixLen is how many leading characters of a key are stored
	// and shown to identify it ("rk_" + 5 characters, 25 of its 256 bits).
	DisplayPrefixLen = len(KeyPrefix) + 5
)

// keyEncoding is lowercase base32 without padding: unambiguous, URL- and
// shell-safe, and double-click selectable.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewKey returns a fresh API key: "rk_", 52 lowercase base32 characters
// carrying 256 random bits from crypto/rand, and a 7-character CRC-32 of
// them, which lets malformed or mistyped keys be refused without a lookup
// (it is a typo check, not a secret).
func NewKey() string {
	var raw [keyRandomBytes]byte
	rand.Read(raw[:]) // never returns an error; crashes the program if the OS fails
	buf := make([]byte, KeyLen)
	copy(buf, KeyPrefix)
	body := buf[len(KeyPrefix) : len(KeyPrefix)+keyBodyLen]
	keyEncoding.Encode(body, raw[:])
	putChecksum(buf[len(KeyPrefix)+keyBodyLen:], body)
	return string(buf)
}

func putChecksum(dst, body []byte) {
	// crc32.ChecksumIEEE, written out so body stays on the caller's stack.
	c := ^uint32(0)
	for _, b := range body {
		c = crc32.IEEETable[byte(c)^b] ^ c>>8
	}
	c = ^c
	cs := [4]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)}
	keyEncoding.Encode(dst, cs[:])
}

// WellFormed reports whether key has the shape NewKey produces, checksum
// included. It does not say whether the key exists.
func WellFormed(key string) bool {
	if len(key) != KeyLen || key[:len(KeyPrefix)] != KeyPrefix {
		return false
	}
	var body [keyBodyLen]byte
	for i := range body {
		c := key[len(KeyPrefix)+i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
		body[i] = c
	}
	var want [keyCheckLen]byte
	putChecksum(want[:], body[:])
	return string(want[:]) == key[len(KeyPrefix)+keyBodyLen:]
}

// DisplayPrefix returns the leading characters of key that are stored and
// shown to identify it.
func DisplayPrefix(key string) string {
	if len(key) < DisplayPrefixLen {
		return ""
	}
	return key[:DisplayPrefixLen]
}

// NewKeyID returns a public key identifier: "key_" and 24 random hex
// digits. IDs are safe to log and print.
func NewKeyID() string {
	var b [12]byte
	rand.Read(b[:])
	return "key_" + hex.EncodeToString(b[:])
}

// Hash returns HMAC-SHA256(secret, key), the only form in which a key is
// stored.
func Hash(secret []byte, key string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	return m.Sum(nil)
}

// hasher computes the same HMAC as Hash without allocating, for the
// request path. The pads are derived once from the server secret.
type hasher struct {
	secret     []byte
	ipad, opad [sha256.BlockSize]byte
}

func newHasher(secret []byte) *hasher {
	k := secret
	if len(k) > sha256.BlockSize {
		s := sha256.Sum256(k)
		k = s[:]
	}
	h := &hasher{secret: secret}
	copy(h.ipad[:], k)
	copy(h.opad[:], k)
	for i := range h.ipad {
		h.ipad[i] ^= 0x36
		h.opad[i] ^= 0x5c
	}
	return h
}

// maxFastKey bounds the keys hashed on the stack; longer input (never a
// well-formed key) goes through crypto/hmac.
const maxFastKey = 128

func (h *hasher) sum(key string) [sha256.Size]byte {
	if len(key) > maxFastKey {
		var out [sha256.Size]byte
		copy(out[:], Hash(h.secret, key))
		return out
	}
	var inner [sha256.BlockSize + maxFastKey]byte
	copy(inner[:], h.ipad[:])
	n := copy(inner[sha256.BlockSize:], key)
	ih := sha256.Sum256(inner[:sha256.BlockSize+n])
	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], h.opad[:])
	copy(outer[sha256.BlockSize:], ih[:])
	return sha256.Sum256(outer[:])
}
