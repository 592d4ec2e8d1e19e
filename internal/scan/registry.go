package scan

import (
	"fmt"
	"slices"
	"sync"
)

// Decoder decodes a scanner's settings block (strictly) into a struct
// pointer. A nil block leaves the struct at its defaults.
type Decoder func(into any) error

// Spec describes a scanner type. Packages register theirs from init.
type Spec struct {
	Name string // the key under `scanners:` in a policy, e.g. "secrets"
	Doc  string // one sentence, ending with a period
	// Directions the scanner can run on.
	Input, Output bool
	// Default reports whether the scanner runs when a policy does not
	// mention it.
	Default bool
	// New builds a scanner from its settings. It must not do I/O other
	// than reading embedded data.
	New func(settings Decoder) (Scanner, error)
}

var (
	regMu sync.RWMutex
	specs = map[string]Spec{}
)

// Register adds a scanner type. It panics on a duplicate name, as
// database/sql does for drivers.
func Register(s Spec) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := specs[s.Name]; dup {
		panic(fmt.Sprintf("scan: scanner %q registered twice", s.Name))
	}
	specs[s.Name] = s
}

// Lookup returns the spec registered under name.
func Lookup(name string) (Spec, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	s, ok := specs[name]
	return s, ok
}

// Specs returns every registered spec, sorted by name.
func Specs() []Spec {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Spec) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// Names returns the registered scanner names, sorted.
func Names() []string {
	var n []string
	for _, s := range Specs() {
		n = append(n, s.Name)
	}
	return n
}
