package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ZeroHash is the prev hash of record 1, the first record of a chain.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// StoredRecord is one link of the chain as the primary store keeps it and
// as exports carry it (one JSON line with Type "record").
type StoredRecord struct {
	Type  string          `json:"type"` // "record"
	Seq   uint64          `json:"seq"`
	Prev  string          `json:"prev"` // hex SHA-256 of record Seq-1
	Hash  string          `json:"hash"` // hex SHA-256 of this record's chain encoding
	Event json.RawMessage `json:"event"`
}

// ChainHash returns the hash of a record: the lowercase hex SHA-256 of
//
//	Canonical({"event": EVENT, "prev": PREV, "seq": SEQ, "v": 1})
//
// which, with keys in canonical order, is the byte string
//
//	{"event":EVENT,"prev":"PREV","seq":SEQ,"v":1}
//
// where EVENT is the canonical encoding of the event, PREV the previous
// record's hash (ZeroHash for seq 1) and SEQ the decimal sequence number.
// event must already be canonical.
func ChainHash(seq uint64, prev string, event []byte) string {
	h := sha256.New()
	var buf [20]byte
	h.Write([]byte(`{"event":`))
	h.Write(event)
	h.Write([]byte(`,"prev":"`))
	h.Write([]byte(prev))
	h.Write([]byte(`","seq":`))
	h.Write(strconv.AppendUint(buf[:0], seq, 10))
	h.Write([]byte(`,"v":1}`))
	return hex.EncodeToString(h.Sum(nil))
}

// Checkpoint is an ed25519-signed statement that record Seq has hash Hash
// and that the chain starts at record Floor (records below Floor were
// pruned by retention). The signature covers the bytes of
//
//	{"floor":FLOOR,"hash":"HASH","key_id":"KEYID","seq":SEQ,"time":"TIME","type":"rampart.audit.checkpoint","v":1}
//
// (the canonical encoding of those members; TIME is RFC 3339 in UTC with
// nanoseconds, as Go's time.RFC3339Nano writes it).
type Checkpoint struct {
	Type  string `json:"type"` // "checkpoint" in exports
	Seq   uint64 `json:"seq"`
	Hash  string `json:"hash"`
	Floor uint64 `json:"floor"`
	Time  string `json:"time"`
	KeyID string `json:"key_id"`
	Sig   string `json:"sig"` // standard base64 of the ed25519 signature
}

func (c *Checkpoint) message() []byte {
	var b []byte
	b = append(b, `{"floor":`...)
	b = strconv.AppendUint(b, c.Floor, 10)
	b = append(b, `,"hash":`...)
	b = appendString(b, c.Hash)
	b = append(b, `,"key_id":`...)
	b = appendString(b, c.KeyID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, c.Seq, 10)
	b = append(b, `,"time":`...)
	b = appendString(b, c.Time)
	b = append(b, `,"type":"rampart.audit.checkpoint","v":1}`...)
	return b
}

// signCheckpoint returns a checkpoint over (seq, hash, floor) signed now.
func signCheckpoint(key ed25519.PrivateKey, seq uint64, hash string, floor uint64, now time.Time) Checkpoint {
	return signCheckpointID(key, KeyID(key.Public().(ed25519.PublicKey)), seq, hash, floor, now)
}

// signCheckpointID is signCheckpoint with the key's KeyID already known.
func signCheckpointID(key ed25519.PrivateKey, keyID string, seq uint64, hash string, floor uint64, now time.Time) Checkpoint {
	c := Checkpoint{Type: "checkpoint", Seq: seq, Hash: hash, Floor: floor, Time: now.UTC().Format(time.RFC3339Nano), KeyID: keyID}
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.message()))
	return c
}

// Verify checks the checkpoint's signature against pub.
func (c *Checkpoint) Verify(pub ed25519.PublicKey) error {
	if c.KeyID != KeyID(pub) {
		return fmt.Errorf("checkpoint at record %d was signed by key %s, not %s", c.Seq, c.KeyID, KeyID(pub))
	}
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if err != nil || !ed25519.Verify(pub, c.message(), sig) {
		return fmt.Errorf("checkpoint at record %d: bad signature", c.Seq)
	}
	return nil
}

// KeyID identifies a signing key: the first 8 bytes of SHA-256 of the raw
// 32-byte ed25519 public key, in hex.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}

// ExportHeader is the first line of an export. Head is a checkpoint over
// the export's last record with Floor set to its first record, so removing
// records at either end of the file is detected.
type ExportHeader struct {
	Type      string      `json:"type"`   // "header"
	Format    string      `json:"format"` // "rampart-audit-export"
	V         int         `json:"v"`      // 1
	PublicKey string      `json:"public_key"`
	Head      *Checkpoint `json:"head"` // nil for an empty export
}

// EncodePublicKey writes pub as "ed25519:" + standard base64.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// DecodePublicKey parses "ed25519:<base64>", a bare base64 key, or a PEM
// "PUBLIC KEY" block.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		return parsePublicPEM([]byte(s))
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "ed25519:"))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("invalid ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}
