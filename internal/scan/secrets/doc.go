// Package secrets is a Rampart scanner (see DESIGN.md, "Detection").
package secrets
