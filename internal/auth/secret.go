package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"rampart/internal/store"
)

// SecretFile is the server secret's file name inside the data directory.
const SecretFile = "secret.key"

// Environment variables that supply the server secret instead of the data
// directory, so several replicas sharing PostgreSQL hash keys alike.
const (
	EnvSecret     = "RAMPART_KEY_SECRET"      // hex or base64 of at least 32 bytes
	EnvSecretFile = "RAMPART_KEY_SECRET_FILE" // path to a file holding the same
)

const secretLen = 32

// ErrSecretMismatch means the server secret is not the one the store's
// keys were hashed with, so none of them could ever authenticate.
var ErrSecretMismatch = errors.New("the server secret does not match the one this store's keys were created with " +
	"(set " + EnvSecret + " or " + EnvSecretFile + " to the original, or use the original --data directory)")

// LoadSecret returns the server secret (the pepper of every key hash):
// from $RAMPART_KEY_SECRET, else the file named by
// $RAMPART_KEY_SECRET_FILE, else dataDir/secret.key, which is created with
// 32 random bytes (hex-encoded) and mode 0600 when it does not exist.
func LoadSecret(dataDir string) ([]byte, error) {
	return LoadSecretFrom(os.Getenv(EnvSecret), os.Getenv(EnvSecretFile), dataDir)
}

// LoadSecretFrom is LoadSecret with explicit sources; the first non-empty
// one wins.
func LoadSecretFrom(value, file, dataDir string) ([]byte, error) {
	switch {
	case value != "":
		s, err := parseSecret([]byte(value))
		if err != nil {
			return nil, fmt.Errorf("auth: %s: %w", EnvSecret, err)
		}
		return s, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("auth: server secret: %w", err)
		}
		s, err := parseSecret(b)
		if err != nil {
			return nil, fmt.Errorf("auth: server secret %s: %w", file, err)
		}
		return s, nil
	}
	if err := store.EnsureDataDir(dataDir); err != nil {
		return nil, err
	}
	path := filepath.Join(dataDir, SecretFile)
	s, err := readSecretFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := createSecretFile(path); err != nil {
			return nil, err
		}
		s, err = readSecretFile(path)
	}
	return s, err
}

func readSecretFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auth: server secret %s has mode %04o; it must be readable by its owner only (chmod 600 %s)",
			path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: server secret: %w", err)
	}
	s, err := parseSecret(b)
	if err != nil {
		return nil, fmt.Errorf("auth: server secret %s: %w", path, err)
	}
	return s, nil
}

// createSecretFile writes a new secret to a temporary file and links it
// into place, so a concurrent reader never sees a partial file and two
// processes racing to create it agree on one secret.
func createSecretFile(path string) error {
	var raw [secretLen]byte
	rand.Read(raw[:])
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*.tmp")
	if err != nil {
		return fmt.Errorf("auth: create server secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: create server secret: %w", err)
	}
	_, err = tmp.WriteString(hex.EncodeToString(raw[:]) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("auth: create server secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("auth: create server secret: %w", err)
	}
	return nil
}

// parseSecret accepts hex or base64 (standard or URL, padded or not) of at
// least 32 bytes, or at least 32 raw binary bytes. Printable text that is
// neither encoding is refused: it is a passphrase or a damaged file.
func parseSecret(b []byte) ([]byte, error) {
	t := strings.TrimSpace(string(b))
	if s, err := hex.DecodeString(t); err == nil && len(s) >= secretLen {
		return s, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if s, err := enc.DecodeString(t); err == nil && len(s) >= secretLen {
			return s, nil
		}
	}
	if len(b) >= secretLen && !printable(b) {
		return b, nil // raw random bytes
	}
	return nil, errors.New("want hex or base64 of at least 32 bytes (or 32 raw random bytes)")
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c > 0x7e {
			return false
		}
	}
	return true
}

// NewSecretHex returns a fresh server secret, hex-encoded, for operators
// who set RAMPART_KEY_SECRET themselves.
func NewSecretHex() string {
	var raw [secretLen]byte
	rand.Read(raw[:])
	return hex.EncodeToString(raw[:])
}

// secretCheckSetting holds a keyed fingerprint of the server secret
// (which reveals nothing about it), written by the first process that
// uses the store.
const secretCheckSetting = "auth.secret_check"

// CheckSecret verifies that secret is the one st's keys were hashed with,
// recording its fingerprint on first use. It returns ErrSecretMismatch
// otherwise: a replica or CLI with another secret would silently accept
// no key and create keys no server accepts.
func CheckSecret(ctx context.Context, st store.Store, secret []byte) error {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("rampart server secret check v1"))
	fp := m.Sum(nil)
	got, err := st.GetSetting(ctx, secretCheckSetting)
	if errors.Is(err, store.ErrNotFound) {
		return st.PutSetting(ctx, secretCheckSetting, fp)
	}
	if err != nil {
		return err
	}
	if !hmac.Equal(got, fp) {
		return ErrSecretMismatch
	}
	return nil
}
