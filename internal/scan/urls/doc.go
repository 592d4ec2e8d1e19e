// Package urls is a Rampart scanner (see DESIGN.md, "Detection").
package urls
