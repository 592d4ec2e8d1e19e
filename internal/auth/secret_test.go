package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadSecretCreatesPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s1, err := LoadSecretFrom("", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) != secretLen {
		t.Errorf("secret has %d bytes", len(s1))
	}
	fi, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret.key mode = %04o, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode = %04o, want 0700", di.Mode().Perm())
	}
	s2, err := LoadSecretFrom("", "", dir)
	if err != nil || !bytes.Equal(s1, s2) {
		t.Errorf("second load = %x, %v; want the same secret", s2, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("data dir holds %d entries, want only secret.key", len(ents))
	}
}

func TestLoadSecretConcurrentCreatorsAgree(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	out := make([][]byte, 8)
	for i := range out {
		wg.Go(func() {
			s, err := LoadSecretFrom("", "", dir)
			if err != nil {
				t.Error(err)
			}
			out[i] = s
		})
	}
	wg.Wait()
	for _, s := range out[1:] {
		if !bytes.Equal(s, out[0]) {
			t.Fatal("concurrent first loads returned different secrets")
		}
	}
}

func TestLoadSecretRefusesOpenFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSecretFrom("", "", dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, SecretFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSecretFrom("", "", dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable secret.key: err = %v", err)
	}
}

func TestLoadSecretSources(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab, 0x01}, 16)
	dir := t.TempDir()
	for name, v := range map[string]string{
		"hex":        hex.EncodeToString(raw),
		"hex spaced": " " + hex.EncodeToString(raw) + "\n",
		"base64":     base64.StdEncoding.EncodeToString(raw),
		"base64url":  base64.RawURLEncoding.EncodeToString(raw),
	} {
		got, err := LoadSecretFrom(v, "", dir)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	file := filepath.Join(t.TempDir(), "s")
	os.WriteFile(file, raw, 0o644) // raw binary bytes, mounted secret
	if got, err := LoadSecretFrom("", file, dir); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("file: %x, %v", got, err)
	}
	if got, err := LoadSecretFrom(hex.EncodeToString(raw), file, dir); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("value wins over file: %x, %v", got, err)
	}
	for name, v := range map[string]string{
		"short hex":  hex.EncodeToString(raw[:16]),
		"passphrase": "correct horse battery staple and more words",
	} {
		if _, err := LoadSecretFrom(v, "", dir); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := LoadSecretFrom("", filepath.Join(dir, "missing"), dir); err == nil {
		t.Error("a missing secret file was accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, SecretFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("an explicit secret still created secret.key")
	}
	t.Setenv(EnvSecret, hex.EncodeToString(raw))
	if got, err := LoadSecret(dir); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("LoadSecret with %s: %x, %v", EnvSecret, got, err)
	}
	if s, err := hex.DecodeString(NewSecretHex()); err != nil || len(s) != secretLen {
		t.Errorf("NewSecretHex: %v", err)
	}
}

func TestCheckSecret(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	a, b := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	if err := CheckSecret(ctx, st, a); err != nil {
		t.Fatal(err)
	}
	if err := CheckSecret(ctx, st, a); err != nil {
		t.Errorf("same secret again: %v", err)
	}
	if err := CheckSecret(ctx, st, b); !errors.Is(err, ErrSecretMismatch) {
		t.Errorf("other secret: %v, want ErrSecretMismatch", err)
	}
	v, _ := st.GetSetting(ctx, secretCheckSetting)
	if bytes.Contains(v, a) {
		t.Error("the fingerprint contains the secret")
	}
}
