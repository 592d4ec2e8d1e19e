package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// TamperError names the first record at which verification failed.
type TamperError struct {
	Seq uint64 // the first record found altered, missing or out of place
	Msg string
}

func (e *TamperError) Error() string { return fmt.Sprintf("record %d: %s", e.Seq, e.Msg) }

// ErrTampered is matched (errors.Is) by every *TamperError.
var ErrTampered = errors.New("audit chain verification failed")

// Is reports whether target is ErrTampered.
func (e *TamperError) Is(target error) bool { return target == ErrTampered }

func tamper(seq uint64, format string, args ...any) error {
	return &TamperError{Seq: seq, Msg: fmt.Sprintf(format, args...)}
}

// verifier checks records in order against a signed head. Records run
// from head.Floor to head.Seq, each linked to the one before; record
// head.Floor links to ZeroHash (floor 1) or to the anchor checkpoint.
type verifier struct {
	pub      ed25519.PublicKey
	head     *Checkpoint
	anchor   *Checkpoint
	started  bool
	lastSeq  uint64
	lastHash string
	n        int
}

func newVerifier(pub ed25519.PublicKey, head *Checkpoint) (*verifier, error) {
	if head != nil {
		if err := head.Verify(pub); err != nil {
			return nil, tamper(head.Seq, "signed head: %v", err)
		}
		if head.Floor < 1 || head.Floor > head.Seq+1 {
			return nil, tamper(head.Seq, "signed head has an impossible floor %d", head.Floor)
		}
	}
	return &verifier{pub: pub, head: head}, nil
}

// setAnchor accepts a checkpoint just below the floor, which the first
// record must link to.
func (v *verifier) setAnchor(c *Checkpoint) error {
	if err := c.Verify(v.pub); err != nil {
		return tamper(c.Seq, "anchor %v", err)
	}
	v.anchor = c
	return nil
}

func (v *verifier) record(r *StoredRecord) error {
	if v.head == nil {
		return tamper(r.Seq, "present but the chain has no signed head (head removed?)")
	}
	want := v.head.Floor
	if v.started {
		want = v.lastSeq + 1
	}
	if r.Seq != want {
		switch {
		case !v.started && r.Seq < want:
			return tamper(r.Seq, "precedes the first record %d the signed head covers", want)
		case !v.started:
			return tamper(want, "missing (removed): the first record is %d", r.Seq)
		case r.Seq <= v.lastSeq:
			return tamper(r.Seq, "out of order: found after record %d", v.lastSeq)
		default:
			return tamper(want, "missing (removed or reordered): record %d follows record %d", r.Seq, v.lastSeq)
		}
	}
	if r.Seq > v.head.Seq {
		return tamper(r.Seq, "not covered by the signed head at record %d (appended?)", v.head.Seq)
	}
	body, err := Canonical(r.Event)
	if err != nil {
		return tamper(r.Seq, "altered: event is not valid JSON: %v", err)
	}
	if h := ChainHash(r.Seq, r.Prev, body); h != r.Hash {
		return tamper(r.Seq, "altered: content does not match its hash")
	}
	switch {
	case v.started:
		if r.Prev != v.lastHash {
			return tamper(v.lastSeq, "altered or replaced: record %d links to a different hash", r.Seq)
		}
	case r.Seq == 1:
		if r.Prev != ZeroHash {
			return tamper(r.Seq, "altered: the first record does not link to the genesis hash")
		}
	case v.anchor != nil:
		if v.anchor.Seq != r.Seq-1 {
			return tamper(r.Seq, "anchor checkpoint is for record %d, not %d", v.anchor.Seq, r.Seq-1)
		}
		if r.Prev != v.anchor.Hash {
			return tamper(r.Seq, "altered: does not link to the signed anchor checkpoint")
		}
	}
	if r.Seq == v.head.Seq && r.Hash != v.head.Hash {
		return tamper(r.Seq, "altered: does not match the signed head")
	}
	v.started, v.lastSeq, v.lastHash = true, r.Seq, r.Hash
	v.n++
	return nil
}

// checkpoint checks a stored checkpoint against the record it covers,
// which must be the last record seen.
func (v *verifier) checkpoint(c *Checkpoint) error {
	if err := c.Verify(v.pub); err != nil {
		return tamper(c.Seq, "%v", err)
	}
	if !v.started || c.Seq != v.lastSeq {
		return tamper(c.Seq, "checkpoint out of place (after record %d)", v.lastSeq)
	}
	if c.Hash != v.lastHash {
		return tamper(c.Seq, "altered: does not match its signed checkpoint")
	}
	return nil
}

func (v *verifier) finish() (int, error) {
	if v.head == nil {
		return 0, nil
	}
	if v.head.Seq == 0 || v.head.Floor > v.head.Seq {
		return v.n, nil // nothing kept
	}
	if !v.started {
		return 0, tamper(v.head.Floor, "missing: no records, but the signed head covers %d..%d (truncated)", v.head.Floor, v.head.Seq)
	}
	if v.lastSeq < v.head.Seq {
		return v.n, tamper(v.lastSeq+1, "missing: log truncated after record %d; the signed head is at record %d", v.lastSeq, v.head.Seq)
	}
	return v.n, nil
}

// verifyStore checks the whole chain in s against pub.
func (s *sqlStore) verify(ctx context.Context, pub ed25519.PublicKey) (int, error) {
	var n int
	err := s.snapshot(ctx, func(tx *sql.Tx) error {
		h, err := s.readHead(ctx, tx, false)
		if err != nil {
			return err
		}
		var head *Checkpoint
		if h != nil && h.Seq > 0 {
			head = &h.Checkpoint
		}
		v, err := newVerifier(pub, head)
		if err != nil {
			return err
		}
		from := uint64(1)
		if head != nil {
			from = head.Floor
		}
		cps, err := s.checkpoints(ctx, tx, max(from, 1)-1)
		if err != nil {
			return err
		}
		if head == nil && len(cps) > 0 {
			return tamper(0, "chain has checkpoints but its signed head was removed")
		}
		if a, ok := cps[from-1]; ok && from > 1 {
			if err := v.setAnchor(&a); err != nil {
				return err
			}
		}
		err = s.records(ctx, tx, 0, func(r *StoredRecord, _ int64) error {
			if err := v.record(r); err != nil {
				return err
			}
			if c, ok := cps[r.Seq]; ok {
				return v.checkpoint(&c)
			}
			return nil
		})
		if err != nil {
			return err
		}
		n, err = v.finish()
		return err
	})
	return n, err
}

// VerifyExport checks an export made by Export. pub pins the signing key;
// when nil, the key in the export's header is used (which proves the
// export is internally consistent, not who made it).
func VerifyExport(r io.Reader, pub ed25519.PublicKey) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	var v *verifier
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &kind); err != nil {
			return 0, fmt.Errorf("line %d: %w", line, err)
		}
		if v == nil {
			if kind.Type != "header" {
				return 0, fmt.Errorf("line %d: export does not start with a header (first lines removed?)", line)
			}
			var h ExportHeader
			if err := json.Unmarshal(b, &h); err != nil {
				return 0, fmt.Errorf("line %d: header: %w", line, err)
			}
			hpub, err := DecodePublicKey(h.PublicKey)
			if err != nil {
				return 0, fmt.Errorf("line %d: header: %w", line, err)
			}
			if pub == nil {
				pub = hpub
			} else if !pub.Equal(hpub) {
				return 0, fmt.Errorf("export was signed by key %s, not the given key %s", KeyID(hpub), KeyID(pub))
			}
			if v, err = newVerifier(pub, h.Head); err != nil {
				return 0, err
			}
			continue
		}
		switch kind.Type {
		case "record":
			var rec StoredRecord
			if err := json.Unmarshal(b, &rec); err != nil {
				return v.n, fmt.Errorf("line %d: %w", line, err)
			}
			if err := v.record(&rec); err != nil {
				return v.n, err
			}
		case "checkpoint":
			var c Checkpoint
			if err := json.Unmarshal(b, &c); err != nil {
				return v.n, fmt.Errorf("line %d: %w", line, err)
			}
			if !v.started && v.head != nil && c.Seq+1 == v.head.Floor {
				if err := v.setAnchor(&c); err != nil {
					return v.n, err
				}
				continue
			}
			if err := v.checkpoint(&c); err != nil {
				return v.n, err
			}
		case "header":
			return v.n, fmt.Errorf("line %d: a second header (exports concatenated?)", line)
		default:
			return v.n, fmt.Errorf("line %d: unknown line type %q", line, kind.Type)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if v == nil {
		return 0, errors.New("empty export: no header")
	}
	return v.finish()
}
