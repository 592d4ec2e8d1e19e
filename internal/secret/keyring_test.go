package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpenAndRotation(t *testing.T) {
	old, err := NewKeyring(key(1))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := old.Seal([]byte("upstream-api-key"), []byte("upstream/openai"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("upstream-api-key")) {
		t.Fatal("plaintext in ciphertext")
	}
	// Rotation: the new primary seals, the old key still opens old data.
	rotated, _ := NewKeyring(key(2), key(1))
	msg, err := rotated.Open(ct, []byte("upstream/openai"))
	if err != nil || string(msg) != "upstream-api-key" {
		t.Fatalf("open old ciphertext after rotation = %q, %v", msg, err)
	}
	ct2, _ := rotated.Seal([]byte("new"), nil)
	if _, err := old.Open(ct2, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old keyring opened a new-key ciphertext: %v", err)
	}
	// Wrong AAD, flipped bits and truncation fail.
	if _, err := rotated.Open(ct, []byte("upstream/other")); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong aad: %v", err)
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 1
		if _, err := rotated.Open(bad, []byte("upstream/openai")); err == nil {
			t.Fatalf("flipped byte %d still opened", i)
		}
	}
	if _, err := rotated.Open(ct[:len(ct)-1], []byte("upstream/openai")); err == nil {
		t.Error("truncated ciphertext opened")
	}
	// Two seals of one message differ (fresh DEK and nonces).
	a, _ := rotated.Seal([]byte("x"), nil)
	b, _ := rotated.Seal([]byte("x"), nil)
	if bytes.Equal(a, b) {
		t.Error("seal is deterministic")
	}
}

func TestConfigLoad(t *testing.T) {
	dir := t.TempDir()
	f1 := filepath.Join(dir, "new")
	os.WriteFile(f1, []byte(GenerateKey()+"\n"), 0o600)
	t.Setenv("RAMPART_TEST_OLD_KEK", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=") // base64 of 32×0x01
	kr, err := Config{KeyFile: f1, PreviousKeyEnvs: []string{"RAMPART_TEST_OLD_KEK"}}.Load()
	if err != nil {
		t.Fatal(err)
	}
	old, _ := NewKeyring(key(1))
	s, _ := old.SealString("hello", nil)
	if got, err := kr.OpenString(s, nil); err != nil || got != "hello" {
		t.Fatalf("OpenString = %q, %v", got, err)
	}
	if kr, err := (Config{}).Load(); kr != nil || err != nil {
		t.Errorf("no config: %v, %v", kr, err)
	}
	os.WriteFile(f1, []byte("short"), 0o600)
	if _, err := (Config{KeyFile: f1}).Load(); err == nil {
		t.Error("short key accepted")
	}
}

func TestStringNeverPrints(t *testing.T) {
	s := String("sk-live-123")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", s)
	j, _ := json.Marshal(struct{ K String }{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), buf.String(), string(j)} {
		if strings.Contains(out, "sk-live") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != "sk-live-123" {
		t.Error("Reveal")
	}
}
