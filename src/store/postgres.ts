import type pg from "pg";
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

/** The outbox's tables as version 1 made them; later migrations change them. */
const outboxSchema = `
CREATE TABLE notifications (
  id BIGSERIAL PRIMARY KEY,
  received_at BIGINT NOT NULL,
  group_key TEXT NOT NULL,
  receiver TEXT NOT NULL,
  status TEXT NOT NULL,
  alert_count INTEGER NOT NULL,
  truncated_alerts INTEGER NOT NULL
);
CREATE TABLE dedupe_keys (
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (fingerprint, status, starts_at)
);
CREATE INDEX dedupe_keys_seen ON dedupe_keys(seen_at);
CREATE TABLE alerts (
  id BIGSERIAL PRIMARY KEY,
  notification_id BIGINT NOT NULL REFERENCES notifications(id),
  received_at BIGINT NOT NULL,
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT,
  account TEXT,
  task TEXT NOT NULL,
  labels TEXT NOT NULL,
  annotations TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  lease_owner TEXT,
  lease_until BIGINT
);
CREATE INDEX alerts_pending ON alerts(id) WHERE state = 'pending';
CREATE INDEX alerts_account ON alerts(account);
CREATE TABLE mails (
  id BIGSERIAL PRIMARY KEY,
  created_at BIGINT NOT NULL,
  recipient TEXT NOT NULL,
  audience TEXT NOT NULL,
  language TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  text TEXT NOT NULL,
  html TEXT NOT NULL,
  accounts TEXT NOT NULL,
  tasks TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  finished_at BIGINT,
  last_error TEXT,
  lease_owner TEXT,
  lease_until BIGINT
);
CREATE INDEX mails_due ON mails(next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX mails_sending ON mails(lease_until) WHERE state = 'sending';
CREATE INDEX mails_open ON mails(created_at) WHERE state IN ('pending', 'sending');
CREATE INDEX mails_dead ON mails(id) WHERE state = 'dead';
CREATE TABLE items (
  id BIGSERIAL PRIMARY KEY,
  alert_id BIGINT NOT NULL REFERENCES alerts(id),
  created_at BIGINT NOT NULL,
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
  state TEXT NOT NULL,
  reason TEXT,
  mail_id BIGINT REFERENCES mails(id)
);
CREATE INDEX items_queued ON items(recipient_key, created_at) WHERE state = 'queued';
CREATE INDEX items_queued_since ON items(created_at) WHERE state = 'queued';
CREATE INDEX items_account ON items(account);
CREATE TABLE attempts (
  id BIGSERIAL PRIMARY KEY,
  mail_id BIGINT NOT NULL REFERENCES mails(id),
  at BIGINT NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  response TEXT
);
CREATE INDEX attempts_mail ON attempts(mail_id);
CREATE TABLE probes (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at BIGINT NOT NULL
);
`;

export const postgresMigrations: readonly Migration[] = [
  { version: 1, name: "outbox", sql: outboxSchema },
  { version: 2, name: "dead items", sql: "CREATE INDEX items_dead ON items(id) WHERE state = 'dead';" },
  { version: 3, name: "relay refusals and requeued mails", sql: mailRetryColumns },
  {
    version: 4,
    name: "mail headers (threads, list headers); items by alert, for a problem's first mail",
    sql: "ALTER TABLE mails ADD COLUMN headers TEXT NOT NULL DEFAULT '{}'; CREATE INDEX IF NOT EXISTS items_alert ON items(alert_id);",
  },
  { version: 5, name: "digests, one per recipient and period", sql: digestsTable },
  {
    version: 6,
    name: "what became of a problem",
    sql: "CREATE INDEX alerts_problem ON alerts(fingerprint, starts_at, status);",
  },
  { version: 7, name: "retention (child keys indexed for deletes)", sql: retentionIndexes },
  {
    version: 8,
    name: "self-care: sessions, pauses, audit, failed logins",
    sql: selfcareTables({ integer: "BIGINT", serial: "BIGSERIAL PRIMARY KEY" }),
  },
  {
    version: 9,
    name: "self-care: unsubscriptions through the links in mails",
    sql: unsubscriptionsTable({ integer: "BIGINT", serial: "BIGSERIAL PRIMARY KEY" }),
  },
];

/** The advisory lock every instance takes to migrate (any constant, unique within this program). */
const migrationLock = 7_305_001;

/**
 * Check the schema, or bring it to the latest version, under a session advisory lock: instances
 * starting together on an empty database migrate once, one after the other, whichever store (the
 * outbox, the portal's) asks first.
 */
const storeHistory: MigrationHistory = {
  migrations: postgresMigrations,
  table: "schema_migrations",
  what: "the outbox schema",
};

export async function migratePostgres(
  pool: pg.Pool,
  apply: boolean,
  { migrations, table, what }: MigrationHistory = storeHistory,
): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [migrationLock]);
    const exists = await client.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [table]);
    const from =
      exists.rows[0]?.t === null
        ? 0
        : ((await client.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${table}`)).rows[0]?.v ??
          0);
    const pending = pendingMigrations(from, migrations, apply, what);
    for (const migration of pending) {
      await client.query("BEGIN");
      try {
        await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${table} (version, name, applied_at) VALUES ($1, $2, $3)`, [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    }
    return { from, to: pending.at(-1)?.version ?? from, applied: pending };
  } finally {
    // A connection that cannot even unlock is broken (the server restarted): dropped, not pooled.
    const unlocked = await client.query("SELECT pg_advisory_unlock($1)", [migrationLock]).then(
      () => true,
      () => false,
    );
    client.release(!unlocked);
  }
}
