package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration or policy file.
type Problem struct {
	Path string // "upstreams[0].url"
	Msg  string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Problems is every Problem found in one pass. Loaders return it as the
// error so an operator can fix everything before the next restart.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s):", len(ps))
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Checker records Problems at a path. Validation code descends with Field
// and Index rather than formatting paths by hand.
type Checker struct {
	path string
	out  *Problems
}

// NewChecker returns an empty Checker at the root path.
func NewChecker() *Checker { return &Checker{out: new(Problems)} }

// Field descends into a named field.
func (c *Checker) Field(name string) *Checker {
	if c.path == "" {
		return &Checker{path: name, out: c.out}
	}
	return &Checker{path: c.path + "." + name, out: c.out}
}

// Index descends into a list element.
func (c *Checker) Index(i int) *Checker {
	return &Checker{path: fmt.Sprintf("%s[%d]", c.path, i), out: c.out}
}

// Key descends into a map entry.
func (c *Checker) Key(k string) *Checker {
	return &Checker{path: fmt.Sprintf("%s[%q]", c.path, k), out: c.out}
}

// Failf records a problem at the current path.
func (c *Checker) Failf(format string, args ...any) {
	*c.out = append(*c.out, Problem{Path: c.path, Msg: fmt.Sprintf(format, args...)})
}

// Path returns the current path.
func (c *Checker) Path() string { return c.path }

// Err returns the collected Problems, or nil when there are none.
func (c *Checker) Err() error {
	if len(*c.out) == 0 {
		return nil
	}
	return *c.out
}
