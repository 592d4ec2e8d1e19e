// Package redact rewrites text at finding spans: typed masks ([EMAIL]) or
// reversible per-request placeholders (<EMAIL_1>) kept in a Vault that
// lives in memory for one request only.
package redact

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Edit replaces Text[Start:End] (byte offsets) with a mask or placeholder.
type Edit struct {
	Start, End int
	Type       string // finding type, e.g. EMAIL
	Pseudo     bool   // placeholder from the vault instead of a mask
}

// Mask returns the typed mask for a finding type: "[EMAIL]".
func Mask(typ string) string { return "[" + typ + "]" }

// Apply rewrites text with the edits. Overlapping edits merge into one
// (the earliest-starting type wins; a mask beats a placeholder, since an
// irreversible redaction is the stronger action). Offsets are clamped to
// the text and moved to rune boundaries.
func Apply(text string, edits []Edit, v *Vault) string {
	if len(edits) == 0 {
		return text
	}
	es := make([]Edit, 0, len(edits))
	for _, e := range edits {
		e.Start = max(0, min(e.Start, len(text)))
		e.End = max(e.Start, min(e.End, len(text)))
		for e.Start > 0 && !utf8.RuneStart(text[e.Start]) {
			e.Start--
		}
		for e.End < len(text) && !utf8.RuneStart(text[e.End]) {
			e.End++
		}
		if e.End > e.Start {
			es = append(es, e)
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Start != es[j].Start {
			return es[i].Start < es[j].Start
		}
		return es[i].End > es[j].End
	})
	// Merge overlaps.
	merged := es[:0]
	for _, e := range es {
		if n := len(merged); n > 0 && e.Start < merged[n-1].End {
			last := &merged[n-1]
			last.End = max(last.End, e.End)
			if !e.Pseudo {
				last.Pseudo = false
			}
			continue
		}
		merged = append(merged, e)
	}
	var b strings.Builder
	b.Grow(len(text))
	pos := 0
	for _, e := range merged {
		b.WriteString(text[pos:e.Start])
		if e.Pseudo && v != nil {
			b.WriteString(v.Placeholder(e.Type, text[e.Start:e.End]))
		} else {
			b.WriteString(Mask(e.Type))
		}
		pos = e.End
	}
	b.WriteString(text[pos:])
	return b.String()
}

// Vault maps placeholders to original values for one request. The same
// value always gets the same placeholder within the request. It is safe
// for concurrent use.
type Vault struct {
	mu      sync.Mutex
	byValue map[string]string // type+"\x00"+value → placeholder
	byPH    map[string]string // placeholder → value
	counts  map[string]int
	maxLen  int
}

// NewVault returns an empty vault.
func NewVault() *Vault {
	return &Vault{byValue: map[string]string{}, byPH: map[string]string{}, counts: map[string]int{}}
}

// Placeholder returns the placeholder for value, creating <TYPE_n>.
func (v *Vault) Placeholder(typ, value string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	k := typ + "\x00" + value
	if ph, ok := v.byValue[k]; ok {
		return ph
	}
	v.counts[typ]++
	ph := "<" + typ + "_" + strconv.Itoa(v.counts[typ]) + ">"
	v.byValue[k] = ph
	v.byPH[ph] = value
	v.maxLen = max(v.maxLen, len(ph))
	return ph
}

// Len is the number of placeholders created.
func (v *Vault) Len() int {
	if v == nil {
		return 0
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.byPH)
}

// MaxPlaceholderLen is the byte length of the longest placeholder, which
// bounds how much a stream must hold back to restore a split placeholder.
func (v *Vault) MaxPlaceholderLen() int {
	if v == nil {
		return 0
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.maxLen
}

// Lookup returns the original value of a placeholder made by this vault.
func (v *Vault) Lookup(ph string) (string, bool) {
	if v == nil {
		return "", false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	val, ok := v.byPH[ph]
	return val, ok
}

// Restore replaces every placeholder this vault created with its value.
// Text that merely looks like a placeholder but was not created for this
// request is left alone.
func (v *Vault) Restore(text string) string {
	if v == nil || v.Len() == 0 || !strings.Contains(text, "<") {
		return text
	}
	var b strings.Builder
	pos := 0
	for {
		i := strings.IndexByte(text[pos:], '<')
		if i < 0 {
			break
		}
		i += pos
		j := strings.IndexByte(text[i:], '>')
		if j < 0 {
			break
		}
		j += i + 1
		if val, ok := v.Lookup(text[i:j]); ok {
			if b.Len() == 0 {
				b.Grow(len(text))
			}
			b.WriteString(text[pos:i])
			b.WriteString(val)
			pos = j
			continue
		}
		b.WriteString(text[pos : i+1])
		pos = i + 1
	}
	if pos == 0 {
		return text
	}
	b.WriteString(text[pos:])
	return b.String()
}
