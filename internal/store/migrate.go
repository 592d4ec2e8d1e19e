package store

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered SQL file, applied once in its own transaction;
// the schema_version table records which versions a database has.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns dialect's migrations ("sqlite" or "postgres") in
// version order. Files are named NNNN_description.sql.
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	ents, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: bad migration file name %s", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := range ms {
		if ms[i].version != i+1 {
			return nil, fmt.Errorf("store: migrations for %s are not numbered 1..n (%s)", dialect, ms[i].name)
		}
	}
	return ms, nil
}

// checkVersion refuses a database written by a newer rampart.
func checkVersion(current int, ms []migration) error {
	if current > len(ms) {
		return fmt.Errorf("store: database schema version %d is newer than this rampart knows (%d); upgrade rampart", current, len(ms))
	}
	return nil
}
