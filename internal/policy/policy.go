package policy

import (
	"context"
	"embed"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"rampart/internal/config"
	"rampart/internal/normalize"
	"rampart/internal/scan"
)

// File is the policy file schema. Every field is optional; a profile
// inherits what it leaves out from the policy it extends.
type File struct {
	Version        int                  `yaml:"version"`
	Name           string               `yaml:"name"`
	Extends        string               `yaml:"extends"` // strict | balanced | permissive | another profile
	Mode           string               `yaml:"mode"`    // enforce | shadow
	Level          string               `yaml:"level"`   // strict | balanced | permissive (default thresholds)
	OnScannerError string               `yaml:"on_scanner_error"`
	ScannerTimeout config.Duration      `yaml:"scanner_timeout"`
	Thresholds     map[string]float64   `yaml:"thresholds"`
	Scanners       map[string]yaml.Node `yaml:"scanners"`
	Input          []RuleSpec           `yaml:"input"`
	Output         []RuleSpec           `yaml:"output"`

	// Profiles are named policies that tenants and keys can be assigned.
	Profiles map[string]*File  `yaml:"profiles"`
	Tenants  map[string]string `yaml:"tenants"` // tenant → profile
	Keys     map[string]string `yaml:"keys"`    // key id → profile
}

// RuleSpec maps finding types to an action.
type RuleSpec struct {
	Name     string   `yaml:"name"`
	Types    []string `yaml:"types"`    // finding types, "*" for any
	Scanners []string `yaml:"scanners"` // optional: only findings of these scanners
	MinScore *float64 `yaml:"min_score"`
	Action   string   `yaml:"action"`
}

// Levels and their default score thresholds for classifier findings.
var levels = map[string]map[string]float64{
	"strict":     {scan.PromptInjection: 0.35, scan.Jailbreak: 0.35},
	"balanced":   {scan.PromptInjection: 0.5, scan.Jailbreak: 0.5},
	"permissive": {scan.PromptInjection: 0.8, scan.Jailbreak: 0.8},
}

//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinNames lists the built-in policies.
func BuiltinNames() []string { return []string{"balanced", "permissive", "strict"} }

func builtinFile(name string) (*File, error) {
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in policy %q (known: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	var f File
	if err := config.DecodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("built-in policy %s: %w", name, err)
	}
	return &f, nil
}

// Policy is a compiled policy: the scanners to run per direction and the
// rules that decide.
type Policy struct {
	Name           string
	Shadow         bool
	OnScannerError Action
	Thresholds     map[string]float64

	input, output     *scan.Pipeline
	inRules, outRules []rule
}

type rule struct {
	name     string
	types    map[string]bool // nil: any
	scanners map[string]bool // nil: any
	minScore float64
	action   Action
}

// Pipeline returns the scanners for a direction.
func (p *Policy) Pipeline(dir scan.Direction) *scan.Pipeline {
	if dir == scan.Output {
		return p.output
	}
	return p.input
}

// Scan runs the direction's pipeline over t and decides.
func (p *Policy) Scan(ctx context.Context, t *scan.Text) Decision {
	fs, fails := p.Pipeline(t.Direction).Run(ctx, t)
	return p.Decide(t.Direction, fs, fails)
}

// Decided is a finding with the action its matching rule gave it.
type Decided struct {
	scan.Finding
	Action Action
	Rule   string
}

// Decision is the outcome for one direction of one exchange.
type Decision struct {
	// Action is what the policy decided; Enforced is what the gateway
	// does (the same, except in shadow mode, where nothing is enforced).
	Action   Action
	Enforced Action
	Shadow   bool
	Findings []Decided
	Failures []scan.Failure
	Scores   map[string]float64 // highest score per classifier type (injection, jailbreak)
}

// Types returns the distinct finding types whose action is at least min.
func (d *Decision) Types(min Action) []string {
	var ts []string
	for _, f := range d.Findings {
		if f.Action >= min && !slices.Contains(ts, f.Type) {
			ts = append(ts, f.Type)
		}
	}
	if min <= d.Action && len(d.Failures) > 0 && !slices.Contains(ts, "SCANNER_ERROR") {
		ts = append(ts, "SCANNER_ERROR")
	}
	return ts
}

// Rules returns the distinct names of the rules that fired (action > allow).
func (d *Decision) Rules() []string {
	var rs []string
	for _, f := range d.Findings {
		if f.Action > Allow && !slices.Contains(rs, f.Rule) {
			rs = append(rs, f.Rule)
		}
	}
	if len(d.Failures) > 0 {
		rs = append(rs, "on_scanner_error")
	}
	return rs
}

// Decide applies the compiled rules. Each finding takes the action of the
// strictest rule it matches. A scanner that failed counts as a match of
// on_scanner_error, so a broken scanner blocks unless configured otherwise.
func (p *Policy) Decide(dir scan.Direction, fs []scan.Finding, failed []scan.Failure) Decision {
	rules := p.inRules
	if dir == scan.Output {
		rules = p.outRules
	}
	d := Decision{Shadow: p.Shadow, Failures: failed}
	if len(fs) > 0 {
		d.Findings = make([]Decided, 0, len(fs))
	}
	for _, f := range fs {
		dec := Decided{Finding: f}
		for i := range rules {
			r := &rules[i]
			if r.matches(f) && (dec.Rule == "" || r.action > dec.Action) {
				dec.Action, dec.Rule = r.action, r.name
			}
		}
		if f.Type == scan.PromptInjection || f.Type == scan.Jailbreak {
			if d.Scores == nil {
				d.Scores = map[string]float64{}
			}
			k := scoreKey(f.Type)
			d.Scores[k] = max(d.Scores[k], f.Score)
		}
		d.Action = max(d.Action, dec.Action)
		d.Findings = append(d.Findings, dec)
	}
	if len(failed) > 0 {
		d.Action = max(d.Action, p.OnScannerError)
	}
	d.Enforced = d.Action
	if p.Shadow {
		d.Enforced = Allow
	}
	return d
}

func scoreKey(t string) string {
	if t == scan.Jailbreak {
		return "jailbreak"
	}
	return "injection"
}

func (r *rule) matches(f scan.Finding) bool {
	if r.types != nil && !r.types[f.Type] {
		return false
	}
	if r.scanners != nil && !r.scanners[f.Scanner] {
		return false
	}
	return f.Score >= r.minScore
}

// Set is a compiled policy file: a default policy plus the profiles that
// tenants and keys are assigned.
type Set struct {
	Default  *Policy
	profiles map[string]*Policy
	tenants  map[string]string
	keys     map[string]string
}

// For returns the policy for a request: the key's own profile (from the
// key record or the file's keys map) beats the tenant's, which beats the
// default.
func (s *Set) For(tenant, keyID, keyProfile string) *Policy {
	if keyProfile != "" {
		if p := s.profiles[keyProfile]; p != nil {
			return p
		}
	}
	if n, ok := s.keys[keyID]; ok {
		if p := s.profiles[n]; p != nil {
			return p
		}
	}
	if n, ok := s.tenants[tenant]; ok {
		if p := s.profiles[n]; p != nil {
			return p
		}
	}
	return s.Default
}

// Observe sets the per-scanner observation hook (metrics) on every
// pipeline of every policy in the set: the default, the profiles and the
// built-ins that tenants or keys may be assigned.
func (s *Set) Observe(fn func(scanner string, d time.Duration, findings int, err error)) {
	for _, p := range append([]*Policy{s.Default}, slices.Collect(maps.Values(s.profiles))...) {
		p.input.Observe = fn
		p.output.Observe = fn
	}
}

// Profile returns a named profile or built-in policy.
func (s *Set) Profile(name string) (*Policy, bool) {
	p, ok := s.profiles[name]
	return p, ok
}

// Builtin compiles a built-in policy by name.
func Builtin(name string) (*Set, error) {
	f, err := builtinFile(name)
	if err != nil {
		return nil, err
	}
	return Compile(f)
}

// Load reads and compiles a policy file; an empty path means the built-in
// balanced policy.
func Load(path string) (*Set, error) {
	if path == "" {
		return Builtin("balanced")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Parse(data)
}

// Parse decodes and compiles a policy document.
func Parse(data []byte) (*Set, error) {
	var f File
	if err := config.DecodeStrict(data, &f); err != nil {
		return nil, err
	}
	return Compile(&f)
}

// Compile validates the whole file, reporting every problem with its path,
// and builds the scanners.
func Compile(f *File) (*Set, error) {
	c := config.NewChecker()
	if f.Version != 0 && f.Version != 1 {
		c.Field("version").Failf("unsupported version %d (known: 1)", f.Version)
	}
	root := resolve(f, c)
	set := &Set{profiles: map[string]*Policy{}, tenants: f.Tenants, keys: f.Keys}
	set.Default = compileOne(root, c)
	// Profiles: each extends the root file unless it names another base.
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		pc := c.Field("profiles").Field(n)
		pf := f.Profiles[n]
		if pf == nil {
			pc.Failf("empty profile")
			continue
		}
		if len(pf.Profiles) > 0 || len(pf.Tenants) > 0 || len(pf.Keys) > 0 {
			pc.Failf("profiles cannot nest profiles, tenants or keys")
		}
		merged := resolveProfile(pf, root, f.Profiles, pc)
		if pf.Name == "" {
			merged.Name = n
		}
		set.profiles[n] = compileOne(merged, pc)
	}
	for _, b := range BuiltinNames() {
		if _, ok := set.profiles[b]; !ok {
			bf, _ := builtinFile(b)
			if bf != nil {
				set.profiles[b] = compileOne(withDefaults(bf), config.NewChecker())
			}
		}
	}
	for t, n := range f.Tenants {
		if _, ok := set.profiles[n]; !ok {
			c.Field("tenants").Key(t).Failf("unknown profile %q", n)
		}
	}
	for k, n := range f.Keys {
		if _, ok := set.profiles[n]; !ok {
			c.Field("keys").Key(k).Failf("unknown profile %q", n)
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

// resolve merges f over the policy it extends (a built-in; balanced when
// nothing is named).
func resolve(f *File, c *config.Checker) *File {
	base := f.Extends
	if base == "" {
		base = "balanced"
		if slices.Contains(BuiltinNames(), f.Name) && f.Level == "" && len(f.Input) > 0 {
			// A file that is itself a full built-in definition.
			return withDefaults(f)
		}
	}
	bf, err := builtinFile(base)
	if err != nil {
		c.Field("extends").Failf("%v", err)
		return withDefaults(f)
	}
	return withDefaults(merge(bf, f))
}

// resolveProfile merges a profile over the chain of profiles it extends,
// ending at a built-in or at the file's root policy.
func resolveProfile(pf, root *File, all map[string]*File, c *config.Checker) *File {
	var chain []*File
	cur := pf
	seen := map[*File]bool{}
	for cur != nil && !seen[cur] {
		seen[cur] = true
		chain = append(chain, cur)
		if cur.Extends == "" {
			cur = nil
			break
		}
		if next, ok := all[cur.Extends]; ok {
			cur = next
			continue
		}
		if slices.Contains(BuiltinNames(), cur.Extends) {
			bf, _ := builtinFile(cur.Extends)
			chain = append(chain, bf)
			cur = nil
			root = nil
			break
		}
		c.Field("extends").Failf("unknown profile or built-in %q", cur.Extends)
		cur = nil
	}
	if cur != nil {
		c.Field("extends").Failf("profiles extend each other in a cycle")
	}
	out := root
	if out == nil {
		out = &File{}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		out = merge(out, chain[i])
	}
	return withDefaults(out)
}

// merge returns base overlaid with over's non-zero fields.
func merge(base, over *File) *File {
	out := *base
	out.Extends = ""
	if over.Name != "" {
		out.Name = over.Name
	}
	if over.Mode != "" {
		out.Mode = over.Mode
	}
	if over.Level != "" {
		out.Level = over.Level
		// A new level replaces the inherited thresholds.
		out.Thresholds = nil
	}
	if over.OnScannerError != "" {
		out.OnScannerError = over.OnScannerError
	}
	if over.ScannerTimeout != 0 {
		out.ScannerTimeout = over.ScannerTimeout
	}
	if len(over.Thresholds) > 0 {
		m := map[string]float64{}
		for k, v := range out.Thresholds {
			m[k] = v
		}
		for k, v := range over.Thresholds {
			m[k] = v
		}
		out.Thresholds = m
	}
	if len(over.Scanners) > 0 {
		m := map[string]yaml.Node{}
		for k, v := range out.Scanners {
			m[k] = v
		}
		for k, v := range over.Scanners {
			m[k] = v
		}
		out.Scanners = m
	}
	if over.Input != nil {
		out.Input = over.Input
	}
	if over.Output != nil {
		out.Output = over.Output
	}
	out.Profiles, out.Tenants, out.Keys = nil, nil, nil
	return &out
}

func withDefaults(f *File) *File {
	out := *f
	if out.Mode == "" {
		out.Mode = "enforce"
	}
	if out.Level == "" {
		out.Level = "balanced"
	}
	if out.OnScannerError == "" {
		out.OnScannerError = "block"
	}
	if out.ScannerTimeout == 0 {
		out.ScannerTimeout = config.Duration(250 * time.Millisecond)
	}
	if out.Name == "" {
		out.Name = "custom"
	}
	return &out
}

func compileOne(f *File, c *config.Checker) *Policy {
	p := &Policy{Name: f.Name, Thresholds: map[string]float64{}}
	switch f.Mode {
	case "enforce":
	case "shadow":
		p.Shadow = true
	default:
		c.Field("mode").Failf("unknown mode %q (known: enforce, shadow)", f.Mode)
	}
	lv, ok := levels[f.Level]
	if !ok {
		c.Field("level").Failf("unknown level %q (known: strict, balanced, permissive)", f.Level)
	}
	for k, v := range lv {
		p.Thresholds[k] = v
	}
	for k, v := range f.Thresholds {
		if v < 0 || v > 1 {
			c.Field("thresholds").Key(k).Failf("threshold %v is outside [0, 1]", v)
		}
		p.Thresholds[k] = v
	}
	a, err := ParseAction(f.OnScannerError)
	if err != nil {
		c.Field("on_scanner_error").Failf("%v", err)
	}
	p.OnScannerError = a
	if f.ScannerTimeout < 0 {
		c.Field("scanner_timeout").Failf("must not be negative")
	}
	p.inRules = compileRules(f.Input, p.Thresholds, c.Field("input"))
	p.outRules = compileRules(f.Output, p.Thresholds, c.Field("output"))
	p.input = buildPipeline(f, scan.Input, c.Field("scanners"))
	p.output = buildPipeline(f, scan.Output, c.Field("scanners"))
	return p
}

func compileRules(specs []RuleSpec, th map[string]float64, c *config.Checker) []rule {
	var out []rule
	for i, s := range specs {
		rc := c.Index(i)
		r := rule{name: s.Name}
		if len(s.Types) == 0 {
			rc.Field("types").Failf("list at least one finding type (or \"*\")")
		}
		for j, t := range s.Types {
			if t == "*" {
				r.types = nil
				break
			}
			if t != strings.ToUpper(t) || strings.TrimSpace(t) == "" {
				rc.Field("types").Index(j).Failf("finding types are upper-case, e.g. EMAIL (got %q)", t)
			}
			if r.types == nil {
				r.types = map[string]bool{}
			}
			r.types[t] = true
		}
		for j, sc := range s.Scanners {
			if _, ok := scan.Lookup(sc); !ok {
				rc.Field("scanners").Index(j).Failf("unknown scanner %q (known: %s)", sc, strings.Join(scan.Names(), ", "))
			}
			if r.scanners == nil {
				r.scanners = map[string]bool{}
			}
			r.scanners[sc] = true
		}
		a, err := ParseAction(s.Action)
		if err != nil {
			rc.Field("action").Failf("%v", err)
		}
		r.action = a
		if s.MinScore != nil {
			if *s.MinScore < 0 || *s.MinScore > 1 {
				rc.Field("min_score").Failf("must be within [0, 1]")
			}
			r.minScore = *s.MinScore
		} else {
			// Classifier types take the level's threshold.
			for t := range r.types {
				if v, ok := th[t]; ok {
					r.minScore = max(r.minScore, v)
				}
			}
		}
		if r.name == "" {
			r.name = fmt.Sprintf("%s:%s", strings.ToLower(strings.Join(s.Types, "+")), a)
		}
		out = append(out, r)
	}
	return out
}

func buildPipeline(f *File, dir scan.Direction, c *config.Checker) *scan.Pipeline {
	pl := &scan.Pipeline{Normalizer: normalize.Views, Timeout: f.ScannerTimeout.D()}
	if dir == scan.Output {
		// Completions are scanned as written; obfuscation layers matter
		// for prompts.
		pl.Normalizer = nil
	}
	for n := range f.Scanners {
		if _, ok := scan.Lookup(n); !ok {
			c.Key(n).Failf("unknown scanner %q (known: %s)", n, strings.Join(scan.Names(), ", "))
		}
	}
	for _, spec := range scan.Specs() {
		if (dir == scan.Input && !spec.Input) || (dir == scan.Output && !spec.Output) {
			continue
		}
		node, configured := f.Scanners[spec.Name]
		enabled := spec.Default
		var settings *yaml.Node
		if configured {
			enabled, settings = enabledNode(&node)
		}
		if !enabled {
			continue
		}
		s, err := spec.New(func(into any) error { return config.DecodeNode(settings, into) })
		if err != nil {
			sc := c.Key(spec.Name)
			if ps, ok := err.(config.Problems); ok {
				for _, p := range ps {
					if p.Path != "" {
						sc.Field(p.Path).Failf("%s", p.Msg)
					} else {
						sc.Failf("%s", p.Msg)
					}
				}
			} else {
				sc.Failf("%v", err)
			}
			continue
		}
		pl.Scanners = append(pl.Scanners, s)
	}
	return pl
}

// enabledNode interprets a scanner entry: `off`/`false` disables it, `on`
// or `{}` enables it with defaults, a mapping may carry `enabled: false`.
func enabledNode(n *yaml.Node) (bool, *yaml.Node) {
	switch n.Kind {
	case 0:
		return true, nil
	case yaml.ScalarNode:
		switch strings.ToLower(n.Value) {
		case "off", "false", "no", "disabled":
			return false, nil
		}
		return true, nil
	case yaml.MappingNode:
		cp := *n
		cp.Content = nil
		enabled := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "enabled" {
				enabled = !slices.Contains([]string{"false", "off", "no"}, strings.ToLower(n.Content[i+1].Value))
				continue
			}
			cp.Content = append(cp.Content, n.Content[i], n.Content[i+1])
		}
		return enabled, &cp
	}
	return true, n
}
