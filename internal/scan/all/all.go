// Package all registers every built-in scanner. Import it for its side
// effects wherever policies are compiled (the server and the CLI).
package all

import (
	_ "rampart/internal/scan/canary"
	_ "rampart/internal/scan/denylist"
	_ "rampart/internal/scan/injection"
	_ "rampart/internal/scan/invisible"
	_ "rampart/internal/scan/pii"
	_ "rampart/internal/scan/refusal"
	_ "rampart/internal/scan/schema"
	_ "rampart/internal/scan/secrets"
	_ "rampart/internal/scan/size"
	_ "rampart/internal/scan/urls"
)
