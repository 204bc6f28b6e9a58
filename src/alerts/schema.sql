-- The alert tables of the ops database (src/alerts). Secrets live here, never in the graph.
CREATE TABLE IF NOT EXISTS alert_subscription (
    id TEXT PRIMARY KEY,
    -- The validated request as JSON (channel, target, filter, standing query, types, digest).
    spec TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until INTEGER,
    -- Private Atom feed token and one-click unsubscribe token.
    feed_token TEXT NOT NULL UNIQUE,
    unsubscribe_token TEXT NOT NULL UNIQUE,
    enabled INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    created_at INTEGER NOT NULL,
    last_digest_at INTEGER
);
-- name = 'outbox': the last change event sequence turned into deliveries, the graph revision
-- the outbox reflects.
CREATE TABLE IF NOT EXISTS alert_cursor (
    name TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL,
    revision INTEGER NOT NULL
);
-- One row per message to one subscription. state: pending (to send), delivered, failed (given
-- up or endpoint gone), feed (an Atom subscription's entry), digest (waiting for the digest).
CREATE TABLE IF NOT EXISTS alert_delivery (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id TEXT NOT NULL UNIQUE,
    subscription TEXT NOT NULL,
    type TEXT NOT NULL,
    event TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    detected_at INTEGER,
    delivered_at INTEGER
);
CREATE INDEX IF NOT EXISTS alert_delivery_due ON alert_delivery (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS alert_delivery_subscription ON alert_delivery (subscription, id);
CREATE TABLE IF NOT EXISTS alert_attempt (
    delivery INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status INTEGER,
    latency_ms INTEGER,
    error TEXT,
    PRIMARY KEY (delivery, attempt)
);
-- A standing query's last result set: one row per result row, by the hash of its canonical JSON.
CREATE TABLE IF NOT EXISTS alert_query_row (
    subscription TEXT NOT NULL,
    row_hash TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (subscription, row_hash)
);
CREATE TABLE IF NOT EXISTS alert_query_state (
    subscription TEXT PRIMARY KEY,
    evaluated_at INTEGER NOT NULL
);
-- The application date last seen of each requirement a subscription follows.
CREATE TABLE IF NOT EXISTS alert_deadline (
    subscription TEXT NOT NULL,
    requirement TEXT NOT NULL,
    applies_from TEXT NOT NULL,
    PRIMARY KEY (subscription, requirement)
);
-- Source health problems already reported to a subscription (one event per subscription,
-- source and problem until it clears), so one subscribing later still hears of an open problem.
-- It replaced `alert_health`, which remembered a problem once for every subscription.
DROP TABLE IF EXISTS alert_health;
CREATE TABLE IF NOT EXISTS alert_health_reported (
    subscription TEXT NOT NULL,
    source TEXT NOT NULL,
    problem TEXT NOT NULL,
    reported_at INTEGER NOT NULL,
    PRIMARY KEY (subscription, source, problem)
);
