package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Canonical re-encodes one JSON value in Rampart's canonical form, the
// bytes that record hashes and checkpoint signatures cover. The form must
// never change, or old chains stop verifying:
//
//   - no insignificant whitespace;
//   - object members sorted by key, bytewise (every key Rampart writes is
//     ASCII, so this equals RFC 8785's UTF-16 order);
//   - strings as UTF-8, escaping only '"' as \", '\' as \\, and U+0000 to
//     U+001F as \b \t \n \f \r or \u00XX (lowercase hex); invalid UTF-8
//     is not accepted;
//   - numbers exactly as written in the input (Rampart writes integers in
//     plain decimal and floats in encoding/json's ECMAScript form);
//   - true, false and null as themselves.
//
// Duplicate object keys are rejected.
func Canonical(data []byte) ([]byte, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("canonical: invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	out, err := canonValue(dec, make([]byte, 0, len(data)))
	if err != nil {
		return nil, fmt.Errorf("canonical: %w", err)
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return nil, errors.New("canonical: trailing data")
	}
	return out, nil
}

func canonValue(dec *json.Decoder, b []byte) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			type member struct {
				key string
				val []byte
			}
			var ms []member
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := canonValue(dec, nil)
				if err != nil {
					return nil, err
				}
				ms = append(ms, member{k, v})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			slices.SortFunc(ms, func(a, b member) int {
				if a.key < b.key {
					return -1
				}
				if a.key > b.key {
					return 1
				}
				return 0
			})
			b = append(b, '{')
			for i, m := range ms {
				if i > 0 {
					if ms[i-1].key == m.key {
						return nil, fmt.Errorf("duplicate key %q", m.key)
					}
					b = append(b, ',')
				}
				b = appendString(b, m.key)
				b = append(b, ':')
				b = append(b, m.val...)
			}
			return append(b, '}'), nil
		case '[':
			b = append(b, '[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b = append(b, ',')
				}
				if b, err = canonValue(dec, b); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return append(b, ']'), nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return appendString(b, t), nil
	case json.Number:
		return append(b, t...), nil
	case bool:
		if t {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case nil:
		return append(b, "null"...), nil
	}
	return nil, fmt.Errorf("unexpected token %T", tok)
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\f':
			b = append(b, '\\', 'f')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
