package detector

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// Example is one labeled text.
type Example struct {
	Text   string `json:"text"`
	Label  int    `json:"label"`
	Kind   string `json:"kind,omitempty"`
	Source string `json:"source,omitempty"`
}

// LoadJSONL reads labeled JSON Lines ({"text", "label"}, other fields
// kept when known).
func LoadJSONL(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Example
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Example
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
