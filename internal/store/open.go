package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DBFile is the name of the SQLite database inside the data directory.
const DBFile = "rampart.db"

// Open opens the store the flags describe: PostgreSQL when databaseURL is
// set (postgres:// or postgresql://), otherwise SQLite in
// dataDir/rampart.db. The data directory is created with mode 0700 when it
// does not exist. Migrations are applied before Open returns.
func Open(ctx context.Context, dataDir, databaseURL string) (Store, error) {
	if databaseURL != "" {
		if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
			return nil, fmt.Errorf("store: --database must be a postgres:// URL")
		}
		return OpenPostgres(ctx, databaseURL)
	}
	if err := EnsureDataDir(dataDir); err != nil {
		return nil, err
	}
	return OpenSQLite(ctx, filepath.Join(dataDir, DBFile))
}

// EnsureDataDir creates dir (and its parents) with mode 0700 when it does
// not exist. An existing directory keeps its mode: an operator may have
// chosen it on purpose, and rampart never loosens or silently changes it.
func EnsureDataDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("store: empty data directory")
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil:
		if !fi.IsDir() {
			return fmt.Errorf("store: data directory %s is not a directory", dir)
		}
		return nil
	case !os.IsNotExist(err):
		return fmt.Errorf("store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: create data directory: %w", err)
	}
	// MkdirAll applies the umask; make sure the leaf is exactly 0700.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
