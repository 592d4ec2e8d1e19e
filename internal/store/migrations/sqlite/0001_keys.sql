-- API keys. Only an HMAC of the secret is stored (hash); times are
-- microseconds since the Unix epoch, NULL when unset.
CREATE TABLE keys (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    tenant            TEXT NOT NULL DEFAULT '',
    prefix            TEXT NOT NULL DEFAULT '',
    hash              BLOB NOT NULL UNIQUE,
    models            TEXT NOT NULL DEFAULT '[]',
    rpm               INTEGER NOT NULL DEFAULT 0,
    tpm               INTEGER NOT NULL DEFAULT 0,
    policy            TEXT NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER,
    revoked_at        INTEGER,
    disabled          INTEGER NOT NULL DEFAULT 0,
    quarantined       INTEGER NOT NULL DEFAULT 0,
    quarantine_reason TEXT NOT NULL DEFAULT '',
    prev_hash         BLOB,
    grace_until       INTEGER,
    extra             BLOB
);

-- One row; value increases in the same transaction as every key change.
CREATE TABLE key_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO key_generation (id, value) VALUES (1, 0);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
