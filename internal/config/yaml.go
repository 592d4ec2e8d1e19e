package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DecodeStrict decodes YAML into v, rejecting unknown fields. Errors from
// the YAML library already carry line numbers; they are returned as
// Problems at the root.
func DecodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file is an empty config
		}
		return yamlProblems(err)
	}
	return nil
}

// DecodeNode decodes a YAML node strictly into v.
func DecodeNode(n *yaml.Node, v any) error {
	if n == nil || n.Kind == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return err
	}
	return DecodeStrict(buf.Bytes(), v)
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

func yamlProblems(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		ps := make(Problems, 0, len(te.Errors))
		for _, e := range te.Errors {
			if m := yamlLine.FindStringSubmatch(e); m != nil {
				ps = append(ps, Problem{Path: "line " + m[1], Msg: m[2]})
				continue
			}
			ps = append(ps, Problem{Msg: e})
		}
		return ps
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return Problems{{Path: "line " + m[1], Msg: m[2]}}
	}
	return Problems{{Msg: msg}}
}

// Duration is a time.Duration that decodes from "250ms", "1m" or seconds.
type Duration int64

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// Size is a byte count that decodes from 8MiB, 512KB or a plain number.
type Size int64

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = Size(v)
	return nil
}

// ParseSize parses "8MiB", "8MB", "512k", "1024".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10}, {"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suf)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q (want e.g. 8MiB, 512KiB or a byte count)", s)
	}
	return n * mult, nil
}
