package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File names inside --data.
const (
	HMACKeyFile    = "audit-hmac.key"    // 32 random bytes as hex, mode 0600
	SigningKeyFile = "audit-signing.key" // ed25519 private key, PKCS#8 PEM, mode 0600
	PublicKeyFile  = "audit-signing.pub" // its public key, PKIX PEM, mode 0644
	SQLiteFile     = "audit.db"
)

// ensureDataDir creates dir with mode 0700 if it does not exist.
func ensureDataDir(dir string) error {
	if dir == "" {
		return errors.New("no data directory")
	}
	return os.MkdirAll(dir, 0o700)
}

// createOnce writes data to path unless path already exists, atomically:
// two processes starting together end up with the same key.
func createOnce(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// loadHMACKey reads the HMAC key from env, then file, then
// <dataDir>/audit-hmac.key (generated on first use).
func loadHMACKey(file, env, dataDir string, create bool) ([]byte, error) {
	if env != "" {
		v := os.Getenv(env)
		if v == "" {
			return nil, fmt.Errorf("audit hmac key: environment variable %s is empty", env)
		}
		return decodeHMACKey(v)
	}
	if file == "" {
		if dataDir == "" {
			return nil, errors.New("audit hmac key: no data directory")
		}
		file = filepath.Join(dataDir, HMACKeyFile)
		if create {
			if err := ensureDataDir(dataDir); err != nil {
				return nil, err
			}
			k := make([]byte, 32)
			rand.Read(k)
			if err := createOnce(file, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("audit hmac key: %w", err)
			}
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("audit hmac key: %w", err)
	}
	return decodeHMACKey(string(b))
}

func decodeHMACKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) >= 16 {
		return b, nil
	}
	if len(s) >= 32 {
		return []byte(s), nil // a long passphrase is used as is
	}
	return nil, errors.New("audit hmac key: want at least 16 bytes as hex, or a 32+ character string")
}

// loadSigningKey reads the ed25519 key from file, or from
// <dataDir>/audit-signing.key (generated on first use, together with the
// public key file next to it).
func loadSigningKey(file, dataDir string, create bool) (ed25519.PrivateKey, error) {
	if file == "" {
		if dataDir == "" {
			return nil, errors.New("audit signing key: no data directory")
		}
		file = filepath.Join(dataDir, SigningKeyFile)
		if create {
			if err := ensureDataDir(dataDir); err != nil {
				return nil, err
			}
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			der, err := x509.MarshalPKCS8PrivateKey(priv)
			if err != nil {
				return nil, err
			}
			if err := createOnce(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
				return nil, fmt.Errorf("audit signing key: %w", err)
			}
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("audit signing key %s: not PEM", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit signing key %s: %w", file, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit signing key %s: not an ed25519 key", file)
	}
	if dataDir != "" {
		pubPath := filepath.Join(dataDir, PublicKeyFile)
		if _, err := os.Stat(pubPath); errors.Is(err, fs.ErrNotExist) {
			_ = createOnce(pubPath, PublicKeyPEM(priv.Public().(ed25519.PublicKey)), 0o644)
		}
	}
	return priv, nil
}

// PublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" PEM block.
func PublicKeyPEM(pub ed25519.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func parsePublicPEM(b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("public key: not PEM")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("public key: not ed25519")
	}
	return pub, nil
}

// LoadPublicKey reads a public key file (PEM, or "ed25519:<base64>").
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodePublicKey(string(b))
}
