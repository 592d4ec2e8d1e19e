package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// Known-answer vectors: these encodings and hashes must never change, or
// existing chains and exports stop verifying.
func TestCanonicalVectors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[true,false,null],"c":{"y":"x","x":"y"}}`, `{"a":[true,false,null],"b":1,"c":{"x":"y","y":"x"}}`},
		{"{ \"s\" : \"\\u003cb\\u003e \\u2028 \\u00e9 \\/ \\\" \\\\ \\u0001\\n\\t\" }", "{\"s\":\"<b> \u2028 é / \\\" \\\\ \\u0001\\n\\t\"}"},
		{`{"n":1.5e-7,"m":-0,"k":12345678901234567890}`, `{"k":12345678901234567890,"m":-0,"n":1.5e-7}`},
		{`[]`, `[]`},
		{`"x"`, `"x"`},
	}
	for _, c := range cases {
		got, err := Canonical([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("Canonical(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{`{"a":1,"a":2}`, `{"a":1} x`, "\"\xff\"", `{`} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("Canonical(%q) accepted", bad)
		}
	}
}

func TestChainHashVector(t *testing.T) {
	got := ChainHash(1, ZeroHash, []byte(`{"decision":"allow","kind":"request","status":200,"time":"2026-11-22T10:00:00Z"}`))
	// sha256 of {"event":{…},"prev":"000…0","seq":1,"v":1}, computed
	// independently with Python's hashlib.
	const want = "b07cbf0c3c92106ac7d717eab0d1b7d60682bcf0375928f35ad1d830cdf6d55b"
	if got != want {
		t.Errorf("ChainHash = %s, want %s", got, want)
	}
}

func TestHasherVector(t *testing.T) {
	h := NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	// HMAC-SHA256(key, "alice@example.com"), computed with Python's hmac.
	const want = "hmac-sha256:841240d2a5b6654b3ae21fc4499db7b7867077cdd67c3e16cef1f9843e27d1fa"
	if got := h.Hash("alice@example.com"); got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	if h.Hash("") != "" {
		t.Error("Hash(\"\") is not empty")
	}
}

func TestCheckpointVector(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	c := signCheckpoint(key, 42, ZeroHash, 1, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	wantMsg := `{"floor":1,"hash":"` + ZeroHash + `","key_id":"` + KeyID(key.Public().(ed25519.PublicKey)) + `","seq":42,"time":"2026-11-22T10:00:00Z","type":"rampart.audit.checkpoint","v":1}`
	if string(c.message()) != wantMsg {
		t.Errorf("message = %s\nwant      %s", c.message(), wantMsg)
	}
	if err := c.Verify(key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	c.Seq = 43
	if c.Verify(key.Public().(ed25519.PublicKey)) == nil {
		t.Error("a modified checkpoint verified")
	}
}

// fill sets every field of a struct to a non-zero value, so new Event
// fields are covered by the equivalence test without editing it.
func fill(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(-1234567)
	case reflect.Uint64:
		v.SetUint(7)
	case reflect.Float64:
		v.SetFloat(1e21)
	case reflect.Slice:
		sl := reflect.MakeSlice(v.Type(), 2, 2)
		fill(sl.Index(0), s)
		fill(sl.Index(1), "second")
		v.Set(sl)
	case reflect.Struct:
		if v.Type() == timeType {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), s)
			}
		}
	}
}

func TestCanonicalEventMatchesGeneric(t *testing.T) {
	weird := "a<b>&\u2028\x01\"\\é\xff\xfe end"
	full := &Event{}
	fill(reflect.ValueOf(full).Elem(), weird)
	for _, e := range []*Event{full, {}, testEvent(3), {Rules: []string{}, Findings: []Finding{{Score: 0.1}}, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))}} {
		fast, err := canonicalEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(e)
		slow, err := Canonical(raw)
		if err != nil {
			t.Fatal(err)
		}
		if string(fast) != string(slow) {
			t.Errorf("direct encoding differs:\n fast %s\n slow %s", fast, slow)
		}
	}
}
