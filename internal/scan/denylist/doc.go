// Package denylist is a Rampart scanner (see DESIGN.md, "Detection").
package denylist
