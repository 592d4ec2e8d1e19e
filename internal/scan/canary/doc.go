// Package canary is a Rampart scanner (see DESIGN.md, "Detection").
package canary
