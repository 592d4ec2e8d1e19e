package audit

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Reader gives read access to a chain for verify and export, without
// generating keys or starting a writer.
type Reader struct {
	store  *sqlStore
	signer ed25519.PrivateKey // nil when the signing key is not available
	pub    ed25519.PublicKey
}

// OpenReader opens the primary store that Open would use. It fails when
// there is no SQLite audit log in dataDir.
func OpenReader(cfg Config, dataDir, databaseURL string) (*Reader, error) {
	r := &Reader{}
	if k, err := loadSigningKey(cfg.SigningKeyFile, dataDir, false); err == nil {
		r.signer, r.pub = k, k.Public().(ed25519.PublicKey)
	} else if dataDir != "" {
		if pub, err := LoadPublicKey(filepath.Join(dataDir, PublicKeyFile)); err == nil {
			r.pub = pub
		}
	}
	prim := primarySink(cfg, databaseURL)
	if prim.Type == SinkSQLite {
		p := prim.Path
		if p == "" {
			p = filepath.Join(dataDir, SQLiteFile)
		}
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no audit log at %s", p)
		}
	}
	s, err := openPrimary(context.Background(), prim, dataDir, databaseURL, cfg.Sync, 0)
	if err != nil {
		return nil, err
	}
	r.store = s
	return r, nil
}

// PublicKey returns the verification key found in the data directory, or nil.
func (r *Reader) PublicKey() ed25519.PublicKey { return r.pub }

// Close closes the store.
func (r *Reader) Close() error { return r.store.close() }

// Verify checks the chain against pub (nil: the data directory's key) and
// returns the number of records checked. A *TamperError names the first
// bad record.
func (r *Reader) Verify(ctx context.Context, pub ed25519.PublicKey) (int, error) {
	if pub == nil {
		pub = r.pub
	}
	if pub == nil {
		return 0, errors.New("no public key: pass --pubkey or a --data directory holding the signing key")
	}
	return r.store.verify(ctx, pub)
}

// Export writes the chain as JSON lines: a header (public key and a
// signed head whose floor is the first exported record), the anchor
// checkpoint below the first record when stored, then each record
// followed by the stored checkpoint over it, if any. With a non-zero
// since, the export starts at the first record at or after since; that
// needs the signing key to sign the shortened head. It returns the number
// of records written.
func (r *Reader) Export(ctx context.Context, w io.Writer, since time.Time) (int, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	err := r.store.snapshot(ctx, func(tx *sql.Tx) error {
		s := r.store
		h, err := s.readHead(ctx, tx, false)
		if err != nil {
			return err
		}
		hdr := ExportHeader{Type: "header", Format: "rampart-audit-export", V: 1}
		if h == nil || h.Seq == 0 {
			if r.pub == nil {
				return errors.New("empty log and no public key")
			}
			hdr.PublicKey = EncodePublicKey(r.pub)
			return enc.Encode(hdr)
		}
		head := h.Checkpoint
		from := head.Floor
		if !since.IsZero() {
			f, err := s.firstSince(ctx, tx, since)
			if err != nil {
				return err
			}
			if f == 0 {
				f = head.Seq + 1 // nothing since: an empty range
			}
			if f > from {
				if r.signer == nil {
					return errors.New("--since needs the signing key (in --data)")
				}
				from = f
				head = signCheckpoint(r.signer, head.Seq, head.Hash, from, time.Now())
			}
		}
		var pub ed25519.PublicKey
		if r.signer != nil && KeyID(r.pub) == head.KeyID {
			pub = r.pub
		}
		if pub == nil {
			if r.pub == nil {
				return errors.New("no public key to put in the export")
			}
			pub = r.pub
		}
		hdr.PublicKey = EncodePublicKey(pub)
		hdr.Head = &head
		if err := enc.Encode(hdr); err != nil {
			return err
		}
		if from > head.Seq {
			return nil
		}
		cps, err := s.checkpoints(ctx, tx, from-1)
		if err != nil {
			return err
		}
		if a, ok := cps[from-1]; ok && from > 1 {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
		return s.records(ctx, tx, from, func(rec *StoredRecord, _ int64) error {
			if rec.Seq > head.Seq {
				return nil
			}
			if err := enc.Encode(rec); err != nil {
				return err
			}
			n++
			if c, ok := cps[rec.Seq]; ok {
				return enc.Encode(c)
			}
			return nil
		})
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// LoadHasher returns the hasher Open would use, without creating a key.
func LoadHasher(cfg Config, dataDir string) (Hasher, error) {
	k, err := loadHMACKey(cfg.HMACKeyFile, cfg.HMACKeyEnv, dataDir, false)
	if err != nil {
		return Hasher{}, err
	}
	return NewHasher(k), nil
}
