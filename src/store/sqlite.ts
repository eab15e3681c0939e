import type Database from "better-sqlite3";
import {
  type Migration,
  type MigrationHistory,
  type MigrationReport,
  pendingMigrations,
} from "./migrations.js";
import {
  digestsTable,
  mailRetryColumns,
  retentionIndexes,
  selfcareTables,
  unsubscriptionsTable,
} from "./schema.js";

/**
 * Migration 1 is the schema from before versioned migrations, written with IF NOT EXISTS so it adopts
 * an outbox file of that time as it is.
 */
const outboxSchema = `
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  group_key TEXT NOT NULL,
  receiver TEXT NOT NULL,
  status TEXT NOT NULL,
  alert_count INTEGER NOT NULL,
  truncated_alerts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications(id),
  received_at INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT,
  account TEXT,
  task TEXT NOT NULL,
  labels TEXT NOT NULL,
  annotations TEXT NOT NULL,
  -- pending: waits for routing; routed: items written; duplicate: suppressed by the dedupe window
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS alerts_dedupe ON alerts(fingerprint, status, starts_at, received_at);
CREATE INDEX IF NOT EXISTS alerts_pending ON alerts(next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS alerts_account ON alerts(account);
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alerts(id),
  created_at INTEGER NOT NULL,
  account TEXT,
  task TEXT NOT NULL,
  status TEXT NOT NULL,
  audience TEXT,
  recipient TEXT,
  language TEXT,
  time_zone TEXT,
  recipient_name TEXT,
  recipient_key TEXT,
  entry TEXT NOT NULL,
  -- queued: waits for its coalescing window; mailed: part of a mail; suppressed: nobody mailed (reason)
  state TEXT NOT NULL,
  reason TEXT,
  mail_id INTEGER REFERENCES mails(id)
);
CREATE INDEX IF NOT EXISTS items_queued ON items(recipient_key, created_at) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS items_queued_since ON items(created_at) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS items_account ON items(account);
CREATE TABLE IF NOT EXISTS mails (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  recipient TEXT NOT NULL,
  audience TEXT NOT NULL,
  language TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  text TEXT NOT NULL,
  html TEXT NOT NULL,
  accounts TEXT NOT NULL,
  tasks TEXT NOT NULL,
  -- pending, sending (in flight), sent, rejected (permanent 5xx), dead (too old to retry)
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  finished_at INTEGER,
  last_error TEXT
);
-- Partial indexes only: a plain index on state would win the planner's choice for the due-mail query
-- and sort every pending mail on each claim.
CREATE INDEX IF NOT EXISTS mails_due ON mails(next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS mails_open ON mails(created_at) WHERE state IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS mails_dead ON mails(id) WHERE state = 'dead';
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY,
  mail_id INTEGER NOT NULL REFERENCES mails(id),
  at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  response TEXT
);
CREATE INDEX IF NOT EXISTS attempts_mail ON attempts(mail_id);
`;

/** One row rewritten by every readiness probe: proof that the store can write, not only lock. */
const probes = `
CREATE TABLE probes (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL
);
`;

export const sqliteMigrations: readonly Migration[] = [
  { version: 1, name: "outbox", sql: outboxSchema },
  { version: 2, name: "readiness probe", sql: probes },
  {
    version: 3,
    name: "items by alert, for what became of a problem",
    sql: "CREATE INDEX IF NOT EXISTS items_alert ON items(alert_id);",
  },
  {
    version: 4,
    name: "dead items",
    sql: "CREATE INDEX items_dead ON items(id) WHERE state = 'dead';",
  },
  { version: 5, name: "relay refusals and requeued mails", sql: mailRetryColumns },
  {
    version: 6,
    name: "mail headers (threads, list headers)",
    sql: "ALTER TABLE mails ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';",
  },
  { version: 7, name: "digests, one per recipient and period", sql: digestsTable },
  { version: 8, name: "retention (child keys indexed for deletes)", sql: retentionIndexes },
  {
    version: 9,
    name: "pending alerts in routing order",
    // Without it the planner walks the whole table in id order rather than sort the due alerts.
    sql: "CREATE INDEX alerts_due ON alerts(id) WHERE state = 'pending';",
  },
  {
    version: 10,
    name: "self-care: sessions, pauses, audit, failed logins",
    sql: selfcareTables({ integer: "INTEGER", serial: "INTEGER PRIMARY KEY" }),
  },
  {
    version: 11,
    name: "self-care: unsubscriptions through the links in mails",
    sql: unsubscriptionsTable({ integer: "INTEGER", serial: "INTEGER PRIMARY KEY" }),
  },
];

const schemaVersion = (db: Database.Database, table: string): number => {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  if (!exists) return 0;
  return (db.prepare(`SELECT MAX(version) AS v FROM ${table}`).get() as { v: number | null }).v ?? 0;
};

const storeHistory: MigrationHistory = {
  migrations: sqliteMigrations,
  table: "schema_migrations",
  what: "the outbox schema",
};

/**
 * Bring a SQLite database to the latest schema of a migration list (the store's by default), one
 * transaction per migration. Several processes open the same file: a migration another connection
 * applied meanwhile is skipped.
 */
export function migrateSqlite(
  db: Database.Database,
  apply: boolean,
  { migrations, table, what }: MigrationHistory = storeHistory,
): MigrationReport {
  const from = schemaVersion(db, table);
  const pending = pendingMigrations(from, migrations, apply, what);
  for (const migration of pending)
    db.transaction(() => {
      if (schemaVersion(db, table) >= migration.version) return;
      db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
      db.exec(migration.sql);
      db.prepare(`INSERT INTO ${table} (version, name, applied_at) VALUES (?, ?, ?)`).run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }).immediate();
  return { from, to: pending.at(-1)?.version ?? from, applied: pending };
}
