// Package policy turns scanner findings into one decision per direction.
// A policy file names the scanners that run, their settings, and rules
// that map finding types (and scores) to actions. Compile checks the whole
// file and reports every problem with its path.
package policy

import (
	"fmt"
	"strings"
)

// Action is what the gateway does with an exchange. When several rules
// match, the largest Action wins, so Block always beats Redact.
type Action uint8

const (
	Allow        Action = iota // forward unchanged
	Flag                       // forward, and record
	Pseudonymize               // forward with reversible per-request placeholders (<EMAIL_1>)
	Redact                     // forward with typed masks ([EMAIL])
	Block                      // refuse (400 content_policy_violation)
)

var actionNames = [...]string{"allow", "flag", "pseudonymize", "redact", "block"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", a)
}

// Verdict is the CONTRACT name of an action for `rampart scan`: redact
// covers pseudonymize.
func (a Action) Verdict() string {
	if a == Pseudonymize {
		return "redact"
	}
	return a.String()
}

// ParseAction parses an action name.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if strings.EqualFold(s, n) {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q (known: %s)", s, strings.Join(actionNames[:], ", "))
}

// UnmarshalText implements encoding.TextUnmarshaler (used by YAML).
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }
