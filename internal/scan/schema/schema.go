// Package schema checks answers against the request's response_format:
// with {"type":"json_object"} the answer must be a JSON object, with
// {"type":"json_schema"} it must also satisfy the schema. Violations are
// reported as SCHEMA_VIOLATION (Whole). In streams the check runs once,
// when the choice ends.
//
// The validator implements this JSON Schema subset: type (one or a list;
// "integer" means a number without a fraction), enum, const, properties,
// required, additionalProperties (false or a schema), items, minItems,
// maxItems, minLength, maxLength (in code points), minimum, maximum,
// exclusiveMinimum, exclusiveMaximum (numbers), anyOf, oneOf, allOf and
// local $ref ("#/$defs/…", "#/definitions/…"). Other keywords are ignored.
package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"rampart/internal/scan"
)

func init() {
	scan.Register(scan.Spec{
		Name:    "schema",
		Doc:     "Reports answers that are not valid JSON or do not satisfy the requested response_format schema.",
		Output:  true,
		Default: true,
		New: func(dec scan.Decoder) (scan.Scanner, error) {
			var s struct{}
			if err := dec(&s); err != nil {
				return nil, err
			}
			return Scanner{}, nil
		},
	})
}

// Scanner is the schema scanner.
type Scanner struct{}

// Name implements scan.Scanner.
func (Scanner) Name() string { return "schema" }

// format is what a response_format asks for.
type format struct {
	Type       string `json:"type"`
	JSONSchema struct {
		Schema json.RawMessage `json:"schema"`
	} `json:"json_schema"`
}

func parseFormat(c *scan.Context) (*format, bool) {
	if c == nil || len(c.ResponseFormat) == 0 {
		return nil, false
	}
	var f format
	if err := json.Unmarshal(c.ResponseFormat, &f); err != nil {
		return nil, false
	}
	if f.Type != "json_object" && f.Type != "json_schema" {
		return nil, false
	}
	return &f, true
}

// WholeText implements guard.WholeTexter: the check needs the whole answer,
// and only when the request asked for JSON.
func (Scanner) WholeText(c *scan.Context) bool {
	_, ok := parseFormat(c)
	return ok
}

// Scan implements scan.Scanner. It checks the answer text segments
// (paths ending in "content" or "text", or no path at all).
func (Scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	f, ok := parseFormat(t.Context)
	if !ok {
		return nil, nil
	}
	var root any
	if f.Type == "json_schema" && len(f.JSONSchema.Schema) > 0 {
		if err := decode(f.JSONSchema.Schema, &root); err != nil {
			return nil, nil // a schema we cannot read is the upstream's business
		}
	}
	var fs []scan.Finding
	for i, seg := range t.Segments {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if seg.Path != "" && !strings.HasSuffix(seg.Path, "content") && !strings.HasSuffix(seg.Path, "text") {
			continue
		}
		rule := check(seg.Text, f.Type, root)
		if rule != "" {
			fs = append(fs, scan.Finding{Type: scan.SchemaViolation, Rule: rule, Score: 1, Whole: true,
				Span: scan.Span{Segment: i, Start: 0, End: len(seg.Text)}})
		}
	}
	return fs, nil
}

func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// check returns "" for a valid answer, else the rule that failed.
func check(text, typ string, schema any) string {
	var v any
	if err := decode([]byte(text), &v); err != nil {
		return "invalid-json"
	}
	if typ == "json_object" {
		if _, ok := v.(map[string]any); !ok {
			return "not-an-object"
		}
		return ""
	}
	if schema == nil {
		return ""
	}
	if err := Validate(schema, v); err != nil {
		return "schema: " + err.Error()
	}
	return ""
}

// Validate checks a decoded JSON value (numbers as json.Number) against a
// decoded schema, within the subset documented on the package.
func Validate(schema, v any) error {
	vd := &validator{root: schema}
	return vd.validate(schema, v, "$", 0)
}

type validator struct{ root any }

func (vd *validator) validate(sch, v any, path string, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%s: schema nesting too deep", path)
	}
	s, ok := sch.(map[string]any)
	if !ok {
		if b, ok := sch.(bool); ok && !b {
			return fmt.Errorf("%s: not allowed", path)
		}
		return nil
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := vd.resolve(ref)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if err := vd.validate(target, v, path, depth+1); err != nil {
			return err
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					types = append(types, s)
				}
			}
		}
		if len(types) > 0 && !anyType(types, v) {
			return fmt.Errorf("%s: want %s", path, strings.Join(types, " or "))
		}
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if equal(x, v) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s: not one of the enum values", path)
		}
	}
	if c, ok := s["const"]; ok && !equal(c, v) {
		return fmt.Errorf("%s: not the const value", path)
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		subs, ok := s[kw].([]any)
		if !ok {
			continue
		}
		n := 0
		var first error
		for _, sub := range subs {
			if err := vd.validate(sub, v, path, depth+1); err == nil {
				n++
			} else if first == nil {
				first = err
			}
		}
		switch {
		case kw == "allOf" && n != len(subs):
			return first
		case kw == "anyOf" && n == 0:
			return fmt.Errorf("%s: matches none of anyOf", path)
		case kw == "oneOf" && n != 1:
			return fmt.Errorf("%s: matches %d of oneOf", path, n)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if k, ok := r.(string); ok {
					if _, has := x[k]; !has {
						return fmt.Errorf("%s: missing required %q", path, k)
					}
				}
			}
		}
		for k, val := range x {
			if ps, ok := props[k]; ok {
				if err := vd.validate(ps, val, path+"."+k, depth+1); err != nil {
					return err
				}
				continue
			}
			if ap, ok := s["additionalProperties"]; ok {
				if b, ok := ap.(bool); ok && !b {
					return fmt.Errorf("%s: unexpected property %q", path, k)
				}
				if err := vd.validate(ap, val, path+"."+k, depth+1); err != nil {
					return err
				}
			}
		}
	case []any:
		if n, ok := num(s["minItems"]); ok && float64(len(x)) < n {
			return fmt.Errorf("%s: fewer than %v items", path, n)
		}
		if n, ok := num(s["maxItems"]); ok && float64(len(x)) > n {
			return fmt.Errorf("%s: more than %v items", path, n)
		}
		if it, ok := s["items"]; ok {
			for i, e := range x {
				if err := vd.validate(it, e, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
		}
	case string:
		l := float64(utf8.RuneCountInString(x))
		if n, ok := num(s["minLength"]); ok && l < n {
			return fmt.Errorf("%s: shorter than %v", path, n)
		}
		if n, ok := num(s["maxLength"]); ok && l > n {
			return fmt.Errorf("%s: longer than %v", path, n)
		}
	case json.Number:
		f, _ := x.Float64()
		if n, ok := num(s["minimum"]); ok && f < n {
			return fmt.Errorf("%s: below minimum %v", path, n)
		}
		if n, ok := num(s["maximum"]); ok && f > n {
			return fmt.Errorf("%s: above maximum %v", path, n)
		}
		if n, ok := num(s["exclusiveMinimum"]); ok && f <= n {
			return fmt.Errorf("%s: not above %v", path, n)
		}
		if n, ok := num(s["exclusiveMaximum"]); ok && f >= n {
			return fmt.Errorf("%s: not below %v", path, n)
		}
	}
	return nil
}

func (vd *validator) resolve(ref string) (any, error) {
	if ref == "#" {
		return vd.root, nil
	}
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	cur := vd.root
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("unresolvable $ref %q", ref)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("unresolvable $ref %q", ref)
		}
	}
	return cur, nil
}

func num(v any) (float64, bool) {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func anyType(types []string, v any) bool {
	for _, t := range types {
		switch x := v.(type) {
		case nil:
			if t == "null" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case json.Number:
			if t == "number" {
				return true
			}
			if t == "integer" {
				f, err := x.Float64()
				if err == nil && f == math.Trunc(f) {
					return true
				}
			}
		case []any:
			if t == "array" {
				return true
			}
		case map[string]any:
			if t == "object" {
				return true
			}
		}
	}
	return false
}

func equal(a, b any) bool {
	if x, ok := a.(json.Number); ok {
		if y, ok := b.(json.Number); ok {
			fx, e1 := x.Float64()
			fy, e2 := y.Float64()
			return e1 == nil && e2 == nil && fx == fy
		}
		return false
	}
	ja, e1 := json.Marshal(a)
	jb, e2 := json.Marshal(b)
	return e1 == nil && e2 == nil && bytes.Equal(ja, jb)
}

var _ scan.Scanner = Scanner{}
