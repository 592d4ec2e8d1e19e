-- API keys. Only an HMAC of the secret is stored (hash).
CREATE TABLE keys (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    tenant            TEXT NOT NULL DEFAULT '',
    prefix            TEXT NOT NULL DEFAULT '',
    hash              BYTEA NOT NULL UNIQUE,
    models            TEXT[] NOT NULL DEFAULT '{}',
    rpm               BIGINT NOT NULL DEFAULT 0,
    tpm               BIGINT NOT NULL DEFAULT 0,
    policy            TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ,
    revoked_at        TIMESTAMPTZ,
    disabled          BOOLEAN NOT NULL DEFAULT FALSE,
    quarantined       BOOLEAN NOT NULL DEFAULT FALSE,
    quarantine_reason TEXT NOT NULL DEFAULT '',
    prev_hash         BYTEA,
    grace_until       TIMESTAMPTZ,
    extra             BYTEA
);

-- One row; value increases in the same transaction as every key change.
CREATE TABLE key_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO key_generation (id, value) VALUES (1, 0);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
