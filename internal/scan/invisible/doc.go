// Package invisible is a Rampart scanner (see DESIGN.md, "Detection").
package invisible
