// Package refusal is a Rampart scanner (see DESIGN.md, "Detection").
package refusal
