// Package secret does envelope encryption at rest (AES-256-GCM) and keeps
// secret strings out of logs.
//
// A Keyring holds one or more key-encryption keys (KEKs). Seal draws a fresh
// 256-bit data-encryption key (DEK) per message, encrypts the message with
// it, and wraps the DEK with the primary KEK. The KEK's id travels in the
// ciphertext, so after a rotation new messages use the new KEK while old
// ones still open with any KEK still listed: rotation needs no downtime and
// no bulk re-encryption.
//
// Ciphertext layout (all integers big-endian):
//
//	"RSE1" | id_len u8 | kek_id | wrapped_dek (12 nonce + 32 + 16 tag) | sealed (12 nonce + len(msg) + 16 tag)
//
// The DEK is wrapped with AAD "rampart-dek/" + kek_id; the message is sealed
// with the caller's AAD, so a ciphertext moved to another context fails to
// open.
package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the size of a KEK and of a DEK: AES-256.
const KeySize = 32

var magic = []byte("RSE1")

// Errors returned by Open.
var (
	ErrUnknownKey = errors.New("secret: ciphertext was sealed with a key not in the keyring")
	ErrMalformed  = errors.New("secret: malformed ciphertext")
	ErrDecrypt    = errors.New("secret: message authentication failed")
)

// Keyring seals with its primary KEK and opens with any of its KEKs. It is
// safe for concurrent use.
type Keyring struct {
	primary string
	keks    map[string]cipher.AEAD
}

// KeyID derives the public identifier of a KEK: the first 8 bytes of
// SHA-256("rampart-kek-id/" || key), in hex. It reveals nothing useful
// about the key and needs no configuration.
func KeyID(key []byte) string {
	s := sha256.Sum256(append([]byte("rampart-kek-id/"), key...))
	return hex.EncodeToString(s[:8])
}

// NewKeyring returns a keyring that seals with primary and opens with
// primary or any of previous.
func NewKeyring(primary []byte, previous ...[]byte) (*Keyring, error) {
	k := &Keyring{keks: map[string]cipher.AEAD{}}
	for i, key := range append([][]byte{primary}, previous...) {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secret: key %d is %d bytes, want %d", i, len(key), KeySize)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, err
		}
		id := KeyID(key)
		if i == 0 {
			k.primary = id
		}
		k.keks[id] = aead
	}
	return k, nil
}

// PrimaryID returns the id of the KEK that Seal uses.
func (k *Keyring) PrimaryID() string { return k.primary }

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(b)
}

// Seal encrypts msg under a fresh DEK wrapped by the primary KEK. aad is
// authenticated but not encrypted; Open needs the same aad.
func (k *Keyring) Seal(msg, aad []byte) ([]byte, error) {
	dek := make([]byte, KeySize)
	rand.Read(dek) // crypto/rand.Read never fails (Go 1.24+)
	daead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	id := k.primary
	out := make([]byte, 0, len(magic)+1+len(id)+KeySize+2*(12+16)+len(msg))
	out = append(out, magic...)
	out = append(out, byte(len(id)))
	out = append(out, id...)
	out = k.keks[id].Seal(out, nil, dek, wrapAAD(id))
	out = daead.Seal(out, nil, msg, aad)
	return out, nil
}

// Open decrypts a ciphertext made by Seal with any KEK in the keyring.
func (k *Keyring) Open(ct, aad []byte) ([]byte, error) {
	if !bytes.HasPrefix(ct, magic) || len(ct) < len(magic)+1 {
		return nil, ErrMalformed
	}
	rest := ct[len(magic):]
	n := int(rest[0])
	rest = rest[1:]
	const wrapped = 12 + KeySize + 16
	if len(rest) < n+wrapped+12+16 {
		return nil, ErrMalformed
	}
	id := string(rest[:n])
	kek, ok := k.keks[id]
	if !ok {
		return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, id)
	}
	dek, err := kek.Open(nil, nil, rest[n:n+wrapped], wrapAAD(id))
	if err != nil {
		return nil, ErrDecrypt
	}
	daead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	msg, err := daead.Open(nil, nil, rest[n+wrapped:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return msg, nil
}

// SealString seals s and returns it as "enc:v1:<base64>", a form that fits
// in a text column or a JSON string.
func (k *Keyring) SealString(s string, aad []byte) (string, error) {
	ct, err := k.Seal([]byte(s), aad)
	if err != nil {
		return "", err
	}
	return TextPrefix + base64.RawStdEncoding.EncodeToString(ct), nil
}

// TextPrefix marks a string produced by SealString.
const TextPrefix = "enc:v1:"

// OpenString reverses SealString.
func (k *Keyring) OpenString(s string, aad []byte) (string, error) {
	b64, ok := strings.CutPrefix(s, TextPrefix)
	if !ok {
		return "", ErrMalformed
	}
	ct, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return "", ErrMalformed
	}
	msg, err := k.Open(ct, aad)
	return string(msg), err
}

func wrapAAD(id string) []byte { return []byte("rampart-dek/" + id) }

// Config says where KEKs come from. Each key is 32 bytes, given as 64 hex
// characters or standard base64 (a file may also hold the 32 raw bytes).
type Config struct {
	// KeyFile or KeyEnv names the primary KEK (new writes use it).
	KeyFile string `yaml:"key_file"`
	KeyEnv  string `yaml:"key_env"`
	// PreviousKeyFiles and PreviousKeyEnvs list retired KEKs that still
	// open old ciphertexts during and after a rotation.
	PreviousKeyFiles []string `yaml:"previous_key_files"`
	PreviousKeyEnvs  []string `yaml:"previous_key_envs"`
}

// Enabled reports whether a primary KEK is configured.
func (c Config) Enabled() bool { return c.KeyFile != "" || c.KeyEnv != "" }

// Load reads the configured keys. It returns nil, nil when no key is
// configured.
func (c Config) Load() (*Keyring, error) {
	if !c.Enabled() {
		return nil, nil
	}
	if c.KeyFile != "" && c.KeyEnv != "" {
		return nil, errors.New("secret: set key_file or key_env, not both")
	}
	primary, err := loadKey(c.KeyFile, c.KeyEnv)
	if err != nil {
		return nil, err
	}
	var prev [][]byte
	for _, f := range c.PreviousKeyFiles {
		k, err := loadKey(f, "")
		if err != nil {
			return nil, err
		}
		prev = append(prev, k)
	}
	for _, e := range c.PreviousKeyEnvs {
		k, err := loadKey("", e)
		if err != nil {
			return nil, err
		}
		prev = append(prev, k)
	}
	return NewKeyring(primary, prev...)
}

func loadKey(file, env string) ([]byte, error) {
	var raw []byte
	src := "env " + env
	if file != "" {
		src = "file " + file
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("secret: read key: %w", err)
		}
		raw = b
	} else {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return nil, fmt.Errorf("secret: key %s is not set", src)
		}
		raw = []byte(v)
	}
	k, err := ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("secret: key from %s: %w", src, err)
	}
	return k, nil
}

// ParseKey decodes a 32-byte key written as hex, base64 or raw bytes.
func ParseKey(raw []byte) ([]byte, error) {
	if len(raw) == KeySize {
		return bytes.Clone(raw), nil
	}
	s := strings.TrimSpace(string(raw))
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, fmt.Errorf("want %d bytes as 64 hex characters or base64", KeySize)
}

// GenerateKey returns a new random KEK encoded as hex, ready for a key file.
func GenerateKey() string {
	k := make([]byte, KeySize)
	rand.Read(k)
	return hex.EncodeToString(k)
}
