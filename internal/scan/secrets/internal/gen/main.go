// Command gen turns gitleaks' default configuration (gitleaks.toml, MIT,
// Copyright (c) 2019 Zachary Rice) into a Go rules table for package
// secrets, keeping the license notice. It understands the subset of TOML
// that file uses: tables, arrays of tables, strings (basic, literal and
// multi-line literal), numbers and arrays of strings.
//
//	go run ./internal/gen -in gitleaks.toml -out rules_gitleaks.go
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"strconv"
	"strings"
)

type allowlist struct {
	Description, Condition, RegexTarget string
	Regexes, Stopwords, Paths           []string
}

type rule struct {
	ID, Description, Regex, Path string
	Entropy                      float64
	SecretGroup                  int
	Keywords                     []string
	Allowlists                   []allowlist
}

func main() {
	in := flag.String("in", "", "gitleaks.toml")
	out := flag.String("out", "rules_gitleaks.go", "output Go file")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	global, rules, err := parse(string(data))
	if err != nil {
		log.Fatalf("%s: %v", *in, err)
	}
	src, err := render(global, rules)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// parser is a cursor over the TOML text.
type parser struct {
	s   string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	line := 1 + strings.Count(p.s[:p.pos], "\n")
	return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...))
}

// skip skips spaces, newlines and comments.
func (p *parser) skip() {
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p.pos++
		case c == '#':
			for p.pos < len(p.s) && p.s[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func parse(s string) (allowlist, []rule, error) {
	p := &parser{s: s}
	var (
		global  allowlist
		rules   []rule
		current = "" // "", "allowlist", "rules", "rules.allowlists"
	)
	for {
		p.skip()
		if p.pos >= len(p.s) {
			break
		}
		if p.s[p.pos] == '[' {
			end := strings.IndexByte(p.s[p.pos:], '\n')
			if end < 0 {
				end = len(p.s) - p.pos
			}
			header := strings.TrimSpace(p.s[p.pos : p.pos+end])
			p.pos += end
			switch header {
			case "[allowlist]":
				current = "allowlist"
			case "[[rules]]":
				current = "rules"
				rules = append(rules, rule{})
			case "[[rules.allowlists]]":
				if len(rules) == 0 {
					return global, nil, p.errorf("rules.allowlists before any rule")
				}
				current = "rules.allowlists"
				r := &rules[len(rules)-1]
				r.Allowlists = append(r.Allowlists, allowlist{})
			default:
				return global, nil, p.errorf("unknown table %s", header)
			}
			continue
		}
		eq := strings.IndexByte(p.s[p.pos:], '=')
		if eq < 0 {
			return global, nil, p.errorf("expected key = value")
		}
		key := strings.TrimSpace(p.s[p.pos : p.pos+eq])
		p.pos += eq + 1
		p.skipSpaces()
		val, err := p.value()
		if err != nil {
			return global, nil, err
		}
		if err := assign(current, key, val, &global, rules); err != nil {
			return global, nil, p.errorf("%v", err)
		}
	}
	return global, rules, nil
}

func (p *parser) skipSpaces() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// value parses a string, an array of values or a bare scalar.
func (p *parser) value() (any, error) {
	if p.pos >= len(p.s) {
		return nil, p.errorf("missing value")
	}
	switch {
	case strings.HasPrefix(p.s[p.pos:], "'''"):
		end := strings.Index(p.s[p.pos+3:], "'''")
		if end < 0 {
			return nil, p.errorf("unterminated '''")
		}
		v := p.s[p.pos+3 : p.pos+3+end]
		p.pos += 3 + end + 3
		// TOML trims a newline right after the opening delimiter.
		v = strings.TrimPrefix(v, "\n")
		return v, nil
	case p.s[p.pos] == '\'':
		end := strings.IndexByte(p.s[p.pos+1:], '\'')
		if end < 0 {
			return nil, p.errorf("unterminated '")
		}
		v := p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return v, nil
	case p.s[p.pos] == '"':
		i := p.pos + 1
		for i < len(p.s) && p.s[i] != '"' {
			if p.s[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(p.s) {
			return nil, p.errorf("unterminated \"")
		}
		v, err := strconv.Unquote(p.s[p.pos : i+1])
		if err != nil {
			return nil, p.errorf("bad string: %v", err)
		}
		p.pos = i + 1
		return v, nil
	case p.s[p.pos] == '[':
		p.pos++
		var arr []any
		for {
			p.skip()
			if p.pos >= len(p.s) {
				return nil, p.errorf("unterminated array")
			}
			if p.s[p.pos] == ']' {
				p.pos++
				return arr, nil
			}
			if p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
	default:
		i := p.pos
		for i < len(p.s) && !strings.ContainsRune(" \t\r\n,]#", rune(p.s[i])) {
			i++
		}
		tok := p.s[p.pos:i]
		p.pos = i
		if f, err := strconv.ParseFloat(tok, 64); err == nil {
			return f, nil
		}
		if tok == "true" || tok == "false" {
			return tok == "true", nil
		}
		return nil, p.errorf("unsupported value %q", tok)
	}
}

func strs(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want an array, got %T", v)
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("want strings, got %T", x)
		}
		out = append(out, s)
	}
	return out, nil
}

func str(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %T", v)
	}
	return s, nil
}

func assignAllowlist(a *allowlist, key string, v any) (err error) {
	switch key {
	case "description":
		a.Description, err = str(v)
	case "condition":
		a.Condition, err = str(v)
	case "regexTarget":
		a.RegexTarget, err = str(v)
	case "regexes":
		a.Regexes, err = strs(v)
	case "stopwords":
		a.Stopwords, err = strs(v)
	case "paths":
		a.Paths, err = strs(v)
	case "commits":
		// Commits never match scanned text; ignore them.
	default:
		err = fmt.Errorf("unknown allowlist key %q", key)
	}
	return err
}

func assign(table, key string, v any, global *allowlist, rules []rule) (err error) {
	switch table {
	case "":
		return nil // title, minVersion, …
	case "allowlist":
		return assignAllowlist(global, key, v)
	case "rules.allowlists":
		r := &rules[len(rules)-1]
		return assignAllowlist(&r.Allowlists[len(r.Allowlists)-1], key, v)
	}
	r := &rules[len(rules)-1]
	switch key {
	case "id":
		r.ID, err = str(v)
	case "description":
		r.Description, err = str(v)
	case "regex":
		r.Regex, err = str(v)
	case "path":
		r.Path, err = str(v)
	case "keywords":
		r.Keywords, err = strs(v)
	case "entropy":
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("entropy: want a number")
		}
		r.Entropy = f
	case "secretGroup":
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("secretGroup: want a number")
		}
		r.SecretGroup = int(f)
	case "tags":
	default:
		err = fmt.Errorf("unknown rule key %q", key)
	}
	return err
}

func quote(s string) string {
	if !strings.ContainsAny(s, "`\r") && strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

func list(b *bytes.Buffer, name string, ss []string) {
	if len(ss) == 0 {
		return
	}
	fmt.Fprintf(b, "%s: []string{", name)
	for _, s := range ss {
		b.WriteString(quote(s))
		b.WriteString(",\n")
	}
	b.WriteString("},\n")
}

func writeAllowlist(b *bytes.Buffer, a allowlist) {
	b.WriteString("{\n")
	if a.Description != "" {
		fmt.Fprintf(b, "Description: %s,\n", quote(a.Description))
	}
	if a.Condition != "" {
		fmt.Fprintf(b, "Condition: %s,\n", quote(a.Condition))
	}
	if a.RegexTarget != "" {
		fmt.Fprintf(b, "RegexTarget: %s,\n", quote(a.RegexTarget))
	}
	list(b, "Regexes", a.Regexes)
	list(b, "Stopwords", a.Stopwords)
	list(b, "Paths", a.Paths)
	b.WriteString("}")
}

const notice = `// Code generated by internal/gen from gitleaks.toml; DO NOT EDIT.

// The rule data below comes from gitleaks' default configuration
// (github.com/gitleaks/gitleaks, config/gitleaks.toml), used under the MIT
// License:
//
// MIT License
//
// Copyright (c) 2019 Zachary Rice
//
// Permission is hereby granted, free of charge, to any person obtaining a copy
// of this software and associated documentation files (the "Software"), to deal
// in the Software without restriction, including without limitation the rights
// to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
// copies of the Software, and to permit persons to whom the Software is
// furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
// AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
// SOFTWARE.

`

func render(global allowlist, rules []rule) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(notice)
	b.WriteString("package secrets\n\n")
	b.WriteString("// gitleaksGlobal is gitleaks' global allowlist.\n")
	b.WriteString("var gitleaksGlobal = gitleaksAllowlist")
	writeAllowlist(&b, global)
	b.WriteString("\n\n// gitleaksRules is gitleaks' default rule set.\n")
	b.WriteString("var gitleaksRules = []gitleaksRule{\n")
	for _, r := range rules {
		b.WriteString("{\n")
		fmt.Fprintf(&b, "ID: %s,\n", quote(r.ID))
		fmt.Fprintf(&b, "Description: %s,\n", quote(r.Description))
		if r.Regex != "" {
			fmt.Fprintf(&b, "Regex: %s,\n", quote(r.Regex))
		}
		if r.Path != "" {
			fmt.Fprintf(&b, "Path: %s,\n", quote(r.Path))
		}
		if r.Entropy != 0 {
			fmt.Fprintf(&b, "Entropy: %v,\n", r.Entropy)
		}
		if r.SecretGroup != 0 {
			fmt.Fprintf(&b, "SecretGroup: %d,\n", r.SecretGroup)
		}
		list(&b, "Keywords", r.Keywords)
		if len(r.Allowlists) > 0 {
			b.WriteString("Allowlists: []gitleaksAllowlist{\n")
			for _, a := range r.Allowlists {
				writeAllowlist(&b, a)
				b.WriteString(",\n")
			}
			b.WriteString("},\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
