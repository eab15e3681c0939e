import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Logger } from "../log.js";
import type { MigrationReport } from "../store/migrations.js";
import { migratePostgres } from "../store/postgres.js";
import type { CoalescingWindow } from "./coalescing.js";
import {
  type AcceptResult,
  type AlertRow,
  type Attempt,
  alertColumns,
  type Composition,
  type HistoryRecord,
  type HistoryRow,
  historyOutcome,
  historyQuery,
  type ItemRecord,
  itemsByRecipient,
  type MailRow,
  mailColumns,
  type NewDigest,
  type OutboxStats,
  type ProblemState,
  pruneStatements,
  type QueuedItem,
  type RequeueFilter,
  type RoutedItem,
  recipientKey,
  type StatsRecord,
  type StoredAlert,
  type StoredMail,
  statsOf,
  statsQuery,
  stillOpenColumn,
  threadRootColumns,
  toStoredAlert,
  toStoredMail,
} from "./outbox.js";
import type { Notification } from "./payload.js";
import type { OutboxStore } from "./store.js";
import { redactUrl } from "./store.js";

/** The advisory lock of coalescing (any constant, unique within this program: see `migrationLock` in `src/store/postgres.ts`). */
const coalescingLock = 7_305_002;

/** Where and how to connect: the URL, and what the configuration adds to it. */
export interface PostgresConnection {
  url: string;
  /** Overrides the URL's password (PGPASSWORD, a password file). */
  password?: string;
  /** TLS towards the server; the URL's sslmode works too. */
  tls?: { ca?: string; rejectUnauthorized: boolean };
  poolSize: number;
}

export interface PostgresOptions extends PostgresConnection {
  /** How long a claim lasts without being extended; a dead instance's work waits this long. */
  leaseMs: number;
  messageDomain: string;
  migrate: boolean;
  logger?: Logger;
}

/** BIGINT and COUNT(*) as numbers: every value here is a millisecond time or a row count, far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** The URL parameters by which node-postgres sets up TLS itself. */
const URL_TLS_PARAMETERS = ["ssl", "sslmode", "sslrootcert", "sslcert", "sslkey"];

/**
 * The URL without its TLS parameters when TLS is configured: node-postgres lets them replace the
 * configured options, so `sslmode=verify-full` beside a configured CA dropped the CA.
 */
function connectionString(connection: PostgresConnection): string {
  if (!connection.tls) return connection.url;
  const url = new URL(connection.url);
  if (!URL_TLS_PARAMETERS.some((name) => url.searchParams.has(name))) return connection.url;
  for (const name of URL_TLS_PARAMETERS) url.searchParams.delete(name);
  return url.toString();
}

/** A connection pool that survives a server restart (the pool replaces the connections it lost). */
export function createPool(connection: PostgresConnection, logger?: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: connectionString(connection),
    ...(connection.password !== undefined ? { password: connection.password } : {}),
    ...(connection.tls ? { ssl: connection.tls } : {}),
    max: connection.poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: "stoney-backup-monitor",
    types,
  });
  // Without a listener, an idle connection the server ends would crash the process.
  pool.on("error", (error) => logger?.warn({ err: error.message }, "PostgreSQL connection lost"));
  // So would one checked out between two statements (a transaction, the migration lock) when the
  // server restarts; the statement waiting on it fails instead, and the pool drops it.
  pool.on("connect", (client) =>
    client.on("error", (error) => logger?.warn({ err: error.message }, "PostgreSQL connection lost")),
  );
  return pool;
}

/** A dedupe key only matters within the dedupe window (hours); past the retention age it only takes space. */
const pruneDedupeKeys =
  "DELETE FROM dedupe_keys WHERE ctid IN (SELECT ctid FROM dedupe_keys WHERE seen_at < $1 LIMIT $2)";

/**
 * The outbox in PostgreSQL, shared by several bridge instances. The tables mirror the SQLite outbox,
 * plus leases: an instance claims alerts and mails with `FOR UPDATE SKIP LOCKED` and stamps them with
 * its id and an expiry it keeps extending while it lives; a killed instance's claims expire and any
 * other instance takes them. Dedupe is a unique key per (fingerprint, status, startsAt), so two
 * instances accepting the same alert at once store one of them as the duplicate. Most methods are
 * one statement (one round trip, atomic on its own); coalescing holds a transaction-scoped advisory
 * lock, so only one instance composes mails at a time.
 */
export class PostgresOutbox implements OutboxStore {
  readonly where: string;
  migration: MigrationReport = { from: 0, to: 0, applied: [] };
  statements = 0;
  /** This process's claims carry this id; a restarted process is a new owner. */
  private readonly owner = randomUUID();
  /** Alerts claimed by the routing round under way, the only alert claims the renewal extends. */
  private readonly routing = new Set<number>();
  private readonly pool: pg.Pool;
  private readonly renewal: NodeJS.Timeout;

  private constructor(private readonly options: PostgresOptions) {
    this.where = redactUrl(options.url);
    this.pool = createPool(options, options.logger);
    this.renewal = setInterval(() => void this.renewLeases(), Math.max(100, options.leaseMs / 3));
    this.renewal.unref();
  }

  /** Connect, then check or apply the schema migrations. */
  static async open(options: PostgresOptions): Promise<PostgresOutbox> {
    const outbox = new PostgresOutbox(options);
    try {
      outbox.migration = await outbox.migrate(options.migrate);
    } catch (error) {
      await outbox.close();
      throw error;
    }
    return outbox;
  }

  private query<R extends pg.QueryResultRow>(
    text: string,
    values?: unknown[],
    client: pg.Pool | pg.PoolClient = this.pool,
  ): Promise<pg.QueryResult<R>> {
    this.statements++;
    return client.query<R>(text, values);
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await this.query("BEGIN", [], client);
      const result = await work(client);
      await this.query("COMMIT", [], client);
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Migrations run under a session advisory lock: instances starting together migrate once. */
  private migrate(apply: boolean): Promise<MigrationReport> {
    return migratePostgres(this.pool, apply);
  }

  /**
   * Extend the claims of the work under way here: the alerts of the routing round in progress and
   * the mails being sent; and put mails whose sender died while sending back to pending (they go
   * again: the price of never losing one). Claims left by a failed round are not extended, and while
   * the store is unreachable this instance's claims expire, as they should.
   */
  private async renewLeases(): Promise<void> {
    const now = Date.now();
    try {
      await this.query(
        `WITH a AS (UPDATE alerts SET lease_until = $2
           WHERE lease_owner = $1 AND state = 'pending' AND id = ANY($4::bigint[])),
         m AS (UPDATE mails SET lease_until = $2 WHERE lease_owner = $1 AND state = 'sending')
         UPDATE mails SET state = 'pending', lease_owner = NULL, lease_until = NULL
         WHERE state = 'sending' AND lease_until <= $3 AND lease_owner <> $1`,
        [this.owner, now + this.options.leaseMs, now, [...this.routing]],
      );
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message }, "cannot extend the outbox leases");
    }
  }

  /**
   * One statement: the notification, the dedupe keys (first of each key in this payload, sorted so
   * concurrent payloads lock them in the same order) and the alerts, each marked pending or duplicate.
   */
  async accept(notification: Notification, now: number, dedupeWindowMs: number): Promise<AcceptResult> {
    const firsts = new Set<string>();
    const alerts = notification.alerts.map((alert) => {
      const key = JSON.stringify([alert.fingerprint, alert.status, alert.startsAt]);
      const candidate = !firsts.has(key);
      firsts.add(key);
      return { alert, candidate };
    });
    const column = <T>(pick: (entry: (typeof alerts)[number]) => T) => alerts.map(pick);
    const result = await this.query<{ id: number; duplicates: number }>(
      `WITH n AS (
         INSERT INTO notifications (received_at, group_key, receiver, status, alert_count, truncated_alerts)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
       ), input AS (
         SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
           $13::text[], $14::text[], $15::bool[]) WITH ORDINALITY
           AS t(fingerprint, status, starts_at, ends_at, account, task, labels, annotations, candidate, ord)
       ), fresh AS (
         INSERT INTO dedupe_keys (fingerprint, status, starts_at, seen_at)
         SELECT fingerprint, status, starts_at, $1 FROM input WHERE candidate AND $16::bigint > 0
         ORDER BY fingerprint, status, starts_at
         ON CONFLICT (fingerprint, status, starts_at) DO UPDATE SET seen_at = EXCLUDED.seen_at
           WHERE dedupe_keys.seen_at <= $17
         RETURNING fingerprint, status, starts_at
       ), stored AS (
         INSERT INTO alerts (notification_id, received_at, fingerprint, status, starts_at, ends_at, account, task,
           labels, annotations, state, next_attempt_at)
         SELECT n.id, $1, i.fingerprint, i.status, i.starts_at, i.ends_at, i.account, i.task, i.labels, i.annotations,
           CASE WHEN $16::bigint = 0 OR f.fingerprint IS NOT NULL THEN 'pending' ELSE 'duplicate' END, $1
         FROM input i CROSS JOIN n
         LEFT JOIN fresh f ON i.candidate AND f.fingerprint = i.fingerprint AND f.status = i.status
           AND f.starts_at = i.starts_at
         ORDER BY i.ord
         RETURNING state
       )
       SELECT (SELECT id FROM n) AS id, (SELECT COUNT(*) FROM stored WHERE state = 'duplicate') AS duplicates`,
      [
        now,
        notification.groupKey,
        notification.receiver,
        notification.status,
        notification.alerts.length,
        notification.truncatedAlerts,
        column((e) => e.alert.fingerprint),
        column((e) => e.alert.status),
        column((e) => e.alert.startsAt),
        column((e) => e.alert.endsAt ?? null),
        column((e) => e.alert.labels.account ?? null),
        column((e) => e.alert.labels.task ?? "generic"),
        column((e) => JSON.stringify(e.alert.labels)),
        column((e) => JSON.stringify(e.alert.annotations)),
        column((e) => e.candidate),
        dedupeWindowMs,
        now - dedupeWindowMs,
      ],
    );
    const row = result.rows[0];
    return {
      notificationId: row?.id ?? 0,
      alerts: notification.alerts.length,
      duplicates: row?.duplicates ?? 0,
    };
  }

  async problems(alerts: readonly StoredAlert[]): Promise<Map<number, ProblemState>> {
    if (alerts.length === 0) return new Map();
    const { rows } = await this.query<ProblemState & { id: number }>(
      `SELECT t.id,
         EXISTS (SELECT 1 FROM alerts a WHERE a.fingerprint = t.fingerprint AND a.starts_at = t.starts_at
           AND a.status = 'resolved') AS resolved,
         EXISTS (SELECT 1 FROM alerts a JOIN items i ON i.alert_id = a.id WHERE a.fingerprint = t.fingerprint
           AND a.starts_at = t.starts_at AND a.status = 'firing' AND i.state IN ('queued', 'mailed')) AS announced,
         EXISTS (SELECT 1 FROM alerts a WHERE a.fingerprint = t.fingerprint AND a.starts_at = t.starts_at
           AND a.status = 'firing' AND a.state = 'pending') AS waiting
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(id, fingerprint, starts_at)`,
      [alerts.map((a) => a.id), alerts.map((a) => a.fingerprint), alerts.map((a) => a.startsAt)],
    );
    return new Map(
      rows.map(({ id, resolved, announced, waiting }) => [id, { resolved, announced, waiting }]),
    );
  }

  async claimAlerts(now: number, limit: number): Promise<StoredAlert[]> {
    const { rows } = await this.query<AlertRow>(
      `UPDATE alerts SET lease_owner = $1, lease_until = $2::bigint + $3::bigint
       WHERE id IN (SELECT id FROM alerts WHERE state = 'pending' AND next_attempt_at <= $2
         AND (lease_until IS NULL OR lease_until <= $2) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING ${alertColumns}`,
      [this.owner, now, this.options.leaseMs, limit],
    );
    for (const row of rows) this.routing.add(row.id);
    return rows.sort((a, b) => a.id - b.id).map(toStoredAlert);
  }

  async abandonClaims(): Promise<void> {
    // Forgotten first: should the statement fail too, the claims lapse after leaseMs.
    this.routing.clear();
    await this.query(
      `UPDATE alerts SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND state = 'pending'`,
      [this.owner],
    );
  }

  /** One statement: items are written only for alerts this instance still holds. */
  async route(
    routed: ReadonlyArray<{ alert: StoredAlert; items: readonly RoutedItem[] }>,
    now: number,
  ): Promise<void> {
    if (routed.length === 0) return;
    const items = routed.flatMap(({ alert, items }) => items.map((item) => ({ alert, item })));
    const column = <T>(pick: (entry: (typeof items)[number]) => T) => items.map(pick);
    const recipient = (e: (typeof items)[number]) =>
      e.item.kind === "queued" ? e.item.recipient : undefined;
    await this.query(
      `WITH mine AS (
         UPDATE alerts SET state = 'routed', last_error = NULL, lease_owner = NULL, lease_until = NULL
         WHERE id = ANY($1::bigint[]) AND state = 'pending' AND lease_owner = $2 RETURNING id
       )
       INSERT INTO items (alert_id, created_at, account, task, status, audience, recipient, language, time_zone,
         recipient_name, recipient_key, entry, state, reason)
       SELECT t.alert_id, $3, t.account, t.task, t.status, t.audience, t.recipient, t.language, t.time_zone,
         t.recipient_name, t.recipient_key, t.entry, t.state, t.reason
       FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
         $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[]) WITH ORDINALITY
         AS t(alert_id, account, task, status, audience, recipient, language, time_zone, recipient_name,
           recipient_key, entry, state, reason, ord)
       WHERE t.alert_id IN (SELECT id FROM mine)
       ORDER BY t.ord`,
      [
        routed.map((r) => r.alert.id),
        this.owner,
        now,
        column((e) => e.alert.id),
        column((e) => e.alert.account ?? null),
        column((e) => e.alert.task),
        column((e) => e.alert.status),
        column((e) => (e.item.kind === "queued" ? e.item.recipient.audience : (e.item.audience ?? null))),
        column((e) => recipient(e)?.address ?? null),
        column((e) => recipient(e)?.language ?? null),
        column((e) => recipient(e)?.timeZone ?? null),
        column((e) => recipient(e)?.name ?? null),
        column((e) => {
          const r = recipient(e);
          return r ? recipientKey(r) : null;
        }),
        column((e) => JSON.stringify(e.item.entry)),
        column((e) => e.item.kind),
        column((e) => (e.item.kind === "suppressed" ? e.item.reason : null)),
      ],
    );
    for (const { alert } of routed) this.routing.delete(alert.id);
  }

  async defer(
    alerts: readonly StoredAlert[],
    retryAt: (alert: StoredAlert) => number,
    error: string,
  ): Promise<void> {
    if (alerts.length === 0) return;
    await this.query(
      `UPDATE alerts SET attempts = attempts + 1, next_attempt_at = t.at, last_error = $3,
         lease_owner = NULL, lease_until = NULL
       FROM unnest($1::bigint[], $2::bigint[]) AS t(id, at)
       WHERE alerts.id = t.id AND alerts.lease_owner = $4`,
      [alerts.map((a) => a.id), alerts.map(retryAt), error, this.owner],
    );
    for (const alert of alerts) this.routing.delete(alert.id);
  }

  async coalesce(
    window: CoalescingWindow,
    limit: number,
    compose: (items: readonly QueuedItem[]) => Composition,
    now: number,
  ): Promise<number> {
    return this.transaction(async (client) => {
      const locked = await this.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_xact_lock($1) AS locked",
        [coalescingLock],
        client,
      );
      // Another instance is composing mails right now; its round covers these recipients.
      if (!locked.rows[0]?.locked) return 0;
      // Alerts another instance has claimed and not yet routed may add to any recipient's mail: while
      // there are any, only the maximum hold closes a window (with coalescing on at all). A killed instance's claims thus keep the
      // windows open until its leases lapse and its alerts are routed here, instead of the recipients
      // getting their mail now and a second one for those alerts.
      const { rows } = await this.query<ItemRecord>(
        `SELECT id, alert_id, created_at, account, task, audience, recipient, language, time_zone, recipient_name,
           recipient_key, entry, ${threadRootColumns("items")},
           ${stillOpenColumn("items", (e) => `string_agg(${e}, chr(10))`)}
         FROM items WHERE state = 'queued' AND recipient_key IN (
           SELECT recipient_key FROM items WHERE state = 'queued' GROUP BY recipient_key
           HAVING LEAST(
             MAX(created_at) + CASE WHEN $1::bigint > 0 AND EXISTS (SELECT 1 FROM alerts WHERE state = 'pending'
               AND lease_owner <> $5 AND lease_until > $3::bigint) THEN $2::bigint ELSE $1::bigint END,
             MIN(created_at) + $2::bigint) <= $3::bigint LIMIT $4)
         ORDER BY id`,
        [window.quietMs, window.maxHoldMs, now, limit, this.owner],
        client,
      );
      if (rows.length === 0) return 0;
      const groups = itemsByRecipient(rows);
      const composed = [...groups.values()].map((items) => compose(items));
      const dead = composed.flatMap((c) => c.dead);
      if (dead.length > 0)
        await this.query(
          `UPDATE items SET state = 'dead', reason = d.reason
           FROM unnest($1::bigint[], $2::text[]) AS d(item_id, reason)
           WHERE items.id = d.item_id AND items.state = 'queued'`,
          [dead.map((d) => d.itemId), dead.map((d) => d.reason)],
          client,
        );
      const mails = composed.flatMap(({ mail, itemIds }) =>
        mail
          ? [
              {
                mail,
                items: itemIds.map((id) => ({ id })),
                messageId: `<${randomUUID()}@${this.options.messageDomain}>`,
              },
            ]
          : [],
      );
      if (mails.length === 0) return 0;
      const column = <T>(pick: (entry: (typeof mails)[number]) => T) => mails.map(pick);
      const links = mails.flatMap((m) => m.items.map((item) => ({ item: item.id, messageId: m.messageId })));
      await this.query(
        `WITH m AS (
           INSERT INTO mails (created_at, recipient, audience, language, message_id, subject, text, html, accounts,
             tasks, headers, state, next_attempt_at)
           SELECT $1, t.recipient, t.audience, t.language, t.message_id, t.subject, t.text, t.html, t.accounts,
             t.tasks, t.headers, 'pending', $1
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
             $9::text[], $10::text[], $13::text[]) WITH ORDINALITY
             AS t(recipient, audience, language, message_id, subject, text, html, accounts, tasks, headers, ord)
           ORDER BY t.ord
           RETURNING id, message_id
         )
         UPDATE items SET state = 'mailed', mail_id = m.id
         FROM unnest($11::bigint[], $12::text[]) AS l(item_id, message_id) JOIN m USING (message_id)
         WHERE items.id = l.item_id AND items.state = 'queued'`,
        [
          now,
          column((m) => m.mail.recipient.address),
          column((m) => m.mail.recipient.audience),
          column((m) => m.mail.recipient.language),
          column((m) => m.messageId),
          column((m) => m.mail.subject),
          column((m) => m.mail.text),
          column((m) => m.mail.html),
          column((m) => JSON.stringify(m.mail.accounts)),
          column((m) => JSON.stringify(m.mail.tasks)),
          links.map((l) => l.item),
          links.map((l) => l.messageId),
          column((m) => JSON.stringify(m.mail.headers ?? {})),
        ],
        client,
      );
      return mails.length;
    });
  }

  /**
   * Queue each digest whose (kind, recipient, period) has none yet; when another instance queues the same
   * digest at the same moment, the key lets one of them through and the other's mail is not kept.
   */
  async createDigests(digests: readonly NewDigest[], now: number): Promise<number> {
    let created = 0;
    for (const digest of digests)
      created += await this.transaction(async (client) => {
        const { mail } = digest;
        const inserted = await this.query<{ id: number }>(
          `INSERT INTO mails (created_at, recipient, audience, language, message_id, subject, text, html, headers,
             accounts, tasks, state, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $1) RETURNING id`,
          [
            now,
            mail.recipient.address,
            mail.recipient.audience,
            mail.recipient.language,
            `<${randomUUID()}@${this.options.messageDomain}>`,
            mail.subject,
            mail.text,
            mail.html,
            JSON.stringify(mail.headers ?? {}),
            JSON.stringify(mail.accounts),
            JSON.stringify(mail.tasks),
          ],
          client,
        );
        const mailId = inserted.rows[0]?.id;
        const claimed = await this.query(
          `INSERT INTO digests (kind, recipient, period, created_at, mail_id, snapshot)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [digest.kind, digest.recipient, digest.period, now, mailId, digest.snapshot],
          client,
        );
        if (claimed.rowCount === 1) return 1;
        await this.query("DELETE FROM mails WHERE id = $1", [mailId], client);
        return 0;
      });
    return created;
  }

  async previousDigest(kind: string, recipient: string, period: string): Promise<string | undefined> {
    const { rows } = await this.query<{ snapshot: string }>(
      "SELECT snapshot FROM digests WHERE kind = $1 AND recipient = $2 AND period < $3 ORDER BY period DESC LIMIT 1",
      [kind, recipient, period],
    );
    return rows[0]?.snapshot;
  }

  async claimMails(now: number, limit: number): Promise<StoredMail[]> {
    const { rows } = await this.query<MailRow & { next_attempt_at: number }>(
      `UPDATE mails SET state = 'sending', lease_owner = $1, lease_until = $2::bigint + $3::bigint
       WHERE id IN (SELECT id FROM mails WHERE state = 'pending' AND next_attempt_at <= $2
         ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING ${mailColumns}, next_attempt_at`,
      [this.owner, now, this.options.leaseMs, limit],
    );
    return rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id).map(toStoredMail);
  }

  async record({ mailId, outcome, at, durationMs }: Attempt): Promise<void> {
    const response = outcome.kind === "sent" ? outcome.response : outcome.error;
    const retry = outcome.kind === "temporary";
    await this.query(
      `WITH a AS (
         INSERT INTO attempts (mail_id, at, duration_ms, outcome, response) VALUES ($1, $2, $3, $4, $5)
       )
       UPDATE mails SET state = $6, attempts = attempts + 1, finished_at = $7,
         next_attempt_at = COALESCE($8, next_attempt_at), last_error = $9, lease_owner = NULL, lease_until = NULL,
         refused_since = $10
       WHERE id = $1`,
      [
        mailId,
        at,
        Math.round(durationMs),
        outcome.kind,
        response,
        retry ? "pending" : outcome.kind,
        retry ? null : at,
        retry ? outcome.retryAt : null,
        outcome.kind === "sent" ? null : outcome.error,
        outcome.kind === "temporary" ? (outcome.refusedSince ?? null) : null,
      ],
    );
  }

  async prune(cutoff: number, limit: number): Promise<number> {
    for (const sql of [...pruneStatements((n) => `$${n}`), pruneDedupeKeys]) {
      const { rowCount } = await this.query(sql, [cutoff, limit]);
      if (rowCount) return rowCount;
    }
    return 0;
  }

  async sizeBytes(): Promise<number> {
    const { rows } = await this.query<{ bytes: string }>(
      `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c
       WHERE c.relkind = 'r' AND c.relname IN ('notifications', 'alerts', 'items', 'mails', 'attempts')
         AND c.relnamespace = current_schema()::regnamespace`,
    );
    return Number(rows[0]?.bytes ?? 0);
  }

  async requeue(filter: RequeueFilter, now: number): Promise<number> {
    const { rowCount } = await this.query(
      `UPDATE mails SET state = 'pending', next_attempt_at = $1, requeued_at = $1, refused_since = NULL
       WHERE state IN ('rejected', 'dead')
         AND ($2::bigint IS NULL OR created_at >= $2) AND ($3::bigint IS NULL OR created_at < $3)
         AND ($4::text IS NULL OR lower(recipient) = lower($4)) AND ($5::text IS NULL OR accounts::jsonb ? $5)`,
      [now, filter.since ?? null, filter.until ?? null, filter.recipient ?? null, filter.account ?? null],
    );
    return rowCount ?? 0;
  }

  async release(mailId: number): Promise<void> {
    await this.query(
      `UPDATE mails SET state = 'pending', lease_owner = NULL, lease_until = NULL
       WHERE id = $1 AND state = 'sending' AND lease_owner = $2`,
      [mailId, this.owner],
    );
  }

  /** Nothing to do: the mails a dead instance left `sending` come back when their lease expires. */
  async recoverInFlight(): Promise<number> {
    return 0;
  }

  async probe(now: number): Promise<void> {
    await this.query(
      "INSERT INTO probes (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at",
      [now],
    );
  }

  async nextPreparation(window: CoalescingWindow): Promise<number | undefined> {
    const { rows } = await this.query<{ alert: number | null; item: number | null }>(
      `SELECT (SELECT MIN(next_attempt_at) FROM alerts WHERE state = 'pending') AS alert,
         (SELECT MIN(LEAST(newest + $1, oldest + $2)) FROM (
           SELECT MIN(created_at) AS oldest, MAX(created_at) AS newest FROM items WHERE state = 'queued'
           GROUP BY recipient_key) AS groups) AS item`,
      [window.quietMs, window.maxHoldMs],
    );
    const row = rows[0];
    const times = [row?.alert, row?.item];
    const due = times.filter((t): t is number => typeof t === "number");
    return due.length > 0 ? Math.min(...due) : undefined;
  }

  async nextSending(): Promise<number | undefined> {
    const { rows } = await this.query<{ at: number | null }>(
      "SELECT MIN(next_attempt_at) AS at FROM mails WHERE state = 'pending'",
    );
    return rows[0]?.at ?? undefined;
  }

  async stats(): Promise<OutboxStats> {
    const { rows } = await this.query<StatsRecord>(statsQuery);
    return statsOf(rows[0] as StatsRecord);
  }

  async history(account: string, limit: number): Promise<HistoryRow[]> {
    const { rows } = await this.query<HistoryRecord>(
      historyQuery((n) => `$${n}`),
      [account, limit],
    );
    return rows.map(historyOutcome);
  }

  async close(): Promise<void> {
    clearInterval(this.renewal);
    await this.pool.end();
  }
}
