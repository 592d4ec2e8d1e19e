// Package pii is a Rampart scanner (see DESIGN.md, "Detection").
package pii
