// Package injection is a Rampart scanner (see DESIGN.md, "Detection").
package injection
