// Package schema is a Rampart scanner (see DESIGN.md, "Detection").
package schema
