/**
 * Schema pieces both dialects share (`BIGINT` and `TEXT` mean the same to SQLite and PostgreSQL);
 * only the numbered migrations of `sqlite.ts` and `postgres.ts` run them.
 */

/**
 * refused_since: when the relay first refused this mail's recipient (RCPT 5xx) while no other
 * recipient got through; requeued_at: when an operator gave a rejected or dead mail another go
 * (its retry.maxAgeHours counts from then).
 */
export const mailRetryColumns = `
ALTER TABLE mails ADD COLUMN refused_since BIGINT;
ALTER TABLE mails ADD COLUMN requeued_at BIGINT;
`;

/** Deleting a parent row checks its children: without these, every pruned mail or notification scans a table. */
export const retentionIndexes = `
CREATE INDEX items_mail ON items(mail_id);
CREATE INDEX alerts_notification ON alerts(notification_id);
CREATE INDEX digests_mail ON digests(mail_id);
`;

/**
 * One row per digest sent or being sent: the key (kind, recipient, period) makes it one per period however
 * many bridges or restarts compose it; the snapshot is what the next period's digest compares with.
 */
export const digestsTable = `
CREATE TABLE digests (
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  period TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  mail_id BIGINT NOT NULL REFERENCES mails(id),
  snapshot TEXT NOT NULL,
  PRIMARY KEY (kind, recipient, period)
);
`;

/**
 * The self-care portal's sessions, pauses, audit trail and failed logins. Earlier versions made these
 * tables when the portal's store was built, outside the migrations, hence IF NOT EXISTS: the migration
 * adopts them as they are. `integer` is the dialect's time column, `serial` an id that numbers itself.
 */
export const selfcareTables = (types: { integer: string; serial: string }) => `
CREATE TABLE IF NOT EXISTS selfcare_sessions (
  id TEXT PRIMARY KEY,
  person_uid TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  language TEXT NOT NULL,
  created_at ${types.integer} NOT NULL,
  last_seen_at ${types.integer} NOT NULL
);
CREATE INDEX IF NOT EXISTS selfcare_sessions_seen ON selfcare_sessions(last_seen_at);
CREATE TABLE IF NOT EXISTS selfcare_pauses (
  id ${types.serial},
  account TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at ${types.integer} NOT NULL,
  until ${types.integer} NOT NULL,
  comment TEXT,
  silence_id TEXT,
  ended_at ${types.integer},
  ended_by TEXT
);
CREATE INDEX IF NOT EXISTS selfcare_pauses_account ON selfcare_pauses(account, until);
CREATE TABLE IF NOT EXISTS selfcare_audit (
  id ${types.serial},
  at ${types.integer} NOT NULL,
  person_uid TEXT NOT NULL,
  target TEXT NOT NULL,
  action TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT
);
CREATE INDEX IF NOT EXISTS selfcare_audit_target ON selfcare_audit(target, at);
CREATE TABLE IF NOT EXISTS selfcare_login_failures (
  key TEXT NOT NULL,
  at ${types.integer} NOT NULL
);
CREATE INDEX IF NOT EXISTS selfcare_login_failures_key ON selfcare_login_failures(key, at);
`;

/**
 * Addresses unsubscribed from a stream of mails through the one-click link of a mail (`address` in
 * lower case); an undone one keeps its row with `ended_at`. At most one in force per address and stream.
 */
export const unsubscriptionsTable = (types: { integer: string; serial: string }) => `
CREATE TABLE selfcare_unsubscriptions (
  id ${types.serial},
  address TEXT NOT NULL,
  stream TEXT NOT NULL,
  created_at ${types.integer} NOT NULL,
  created_by TEXT NOT NULL,
  ended_at ${types.integer},
  ended_by TEXT
);
CREATE UNIQUE INDEX selfcare_unsubscriptions_active
  ON selfcare_unsubscriptions(address, stream) WHERE ended_at IS NULL;
`;
