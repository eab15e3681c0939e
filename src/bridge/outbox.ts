import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import Database from "better-sqlite3";
import type { MigrationReport } from "../store/migrations.js";
import { migrateSqlite } from "../store/sqlite.js";
import type { CoalescingWindow } from "./coalescing.js";
import type { ThreadRoot } from "./headers.js";
import type { Notification } from "./payload.js";
import type { OutboxStore } from "./store.js";
import type { MailAudience, MailEntry } from "./templates/index.js";
import { WalSync } from "./wal-sync.js";

const finalMail = "('sent', 'rejected', 'dead')";

/**
 * Retention: one statement per table, each deleting at most `limit` rows older than the cutoff that
 * nothing waits for any more (children first, so every statement is its own small transaction).
 * `p(n)` writes parameter n in the store's dialect; parameter 1 is the cutoff (ms), 2 the limit.
 */
export const pruneStatements = (p: (n: number) => string): string[] => [
  // A recipient's latest digest stays: the next period's digest compares with its snapshot.
  `DELETE FROM digests WHERE (kind, recipient, period) IN (SELECT d.kind, d.recipient, d.period FROM digests d
     WHERE d.created_at < ${p(1)} AND EXISTS (SELECT 1 FROM digests newer
       WHERE newer.kind = d.kind AND newer.recipient = d.recipient AND newer.created_at > d.created_at)
     LIMIT ${p(2)})`,
  `DELETE FROM attempts WHERE mail_id IN (SELECT id FROM mails WHERE state IN ${finalMail} AND created_at < ${p(1)} LIMIT ${p(2)})`,
  `DELETE FROM items WHERE id IN (SELECT i.id FROM items i WHERE i.state IN ('mailed', 'suppressed', 'dead')
     AND i.created_at < ${p(1)}
     AND (i.mail_id IS NULL OR EXISTS (SELECT 1 FROM mails m WHERE m.id = i.mail_id AND m.state IN ${finalMail}))
     LIMIT ${p(2)})`,
  `DELETE FROM mails WHERE id IN (SELECT m.id FROM mails m WHERE m.state IN ${finalMail} AND m.created_at < ${p(1)}
     AND NOT EXISTS (SELECT 1 FROM items i WHERE i.mail_id = m.id)
     AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.mail_id = m.id)
     AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.mail_id = m.id) LIMIT ${p(2)})`,
  `DELETE FROM alerts WHERE id IN (SELECT a.id FROM alerts a WHERE a.state != 'pending' AND a.received_at < ${p(1)}
     AND NOT EXISTS (SELECT 1 FROM items i WHERE i.alert_id = a.id) LIMIT ${p(2)})`,
  `DELETE FROM notifications WHERE id IN (SELECT n.id FROM notifications n WHERE n.received_at < ${p(1)}
     AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.notification_id = n.id) LIMIT ${p(2)})`,
];

/**
 * The first mail to an item's recipient about the item's problem (its alert's fingerprint and startsAt),
 * which later mails about it answer; both stores select it with the queued items.
 */
export const threadRootColumns = (items: string): string =>
  ["message_id AS thread_id", "subject AS thread_subject"]
    .map(
      (column) => `(SELECT m.${column.split(" ")[0]} FROM alerts this
         JOIN alerts a ON a.fingerprint = this.fingerprint AND a.starts_at = this.starts_at
         JOIN items i ON i.alert_id = a.id AND i.recipient_key = ${items}.recipient_key
         JOIN mails m ON m.id = i.mail_id
         WHERE this.id = ${items}.alert_id ORDER BY m.id LIMIT 1) AS ${column.split(" ")[2]}`,
    )
    .join(",\n");

/**
 * For a queued resolution: the firing entries of the other problems its recipient was mailed about in the
 * same mails as this one, not solved since (no resolution routed), one per line (JSON has no raw line
 * breaks). `concat` is the store's string aggregate of an expression with a line break between values.
 */
export const stillOpenColumn = (items: string, concat: (expression: string) => string): string =>
  `CASE WHEN ${items}.status = 'resolved' THEN (SELECT ${concat("oi.entry")} FROM alerts this
     JOIN alerts a ON a.fingerprint = this.fingerprint AND a.starts_at = this.starts_at
     JOIN items i ON i.alert_id = a.id AND i.recipient_key = ${items}.recipient_key AND i.mail_id IS NOT NULL
     JOIN items oi ON oi.mail_id = i.mail_id AND oi.status = 'firing'
     JOIN alerts o ON o.id = oi.alert_id
     WHERE this.id = ${items}.alert_id
       AND NOT (o.fingerprint = this.fingerprint AND o.starts_at = this.starts_at)
       AND NOT EXISTS (SELECT 1 FROM alerts r WHERE r.fingerprint = o.fingerprint AND r.status = 'resolved'
         AND r.starts_at = o.starts_at AND r.state = 'routed')) END AS still_open`;

/** The thread root columns of a queued item row, as the item's `thread`. */
export const threadOf = (row: {
  thread_id: string | null;
  thread_subject: string | null;
}): { thread?: ThreadRoot } =>
  row.thread_id !== null ? { thread: { messageId: row.thread_id, subject: row.thread_subject ?? "" } } : {};

/** A queued item as both stores select it: its columns and its thread root's. */
export interface ItemRecord {
  id: number;
  alert_id: number;
  created_at: number;
  account: string | null;
  task: string;
  audience: MailAudience;
  recipient: string;
  language: string;
  time_zone: string;
  recipient_name: string | null;
  recipient_key: string;
  entry: string;
  thread_id: string | null;
  thread_subject: string | null;
  still_open: string | null;
}

/** Queued item rows (in id order) as each recipient's items, by recipient key. */
export function itemsByRecipient(rows: readonly ItemRecord[]): Map<string, QueuedItem[]> {
  const groups = new Map<string, QueuedItem[]>();
  for (const row of rows) {
    const item: QueuedItem = {
      id: row.id,
      alertId: row.alert_id,
      createdAt: row.created_at,
      ...(row.account !== null ? { account: row.account } : {}),
      task: row.task,
      recipient: {
        address: row.recipient,
        audience: row.audience,
        language: row.language,
        timeZone: row.time_zone,
        ...(row.recipient_name ? { name: row.recipient_name } : {}),
      },
      entry: JSON.parse(row.entry) as MailEntry,
      ...threadOf(row),
      ...(row.still_open
        ? { stillOpen: row.still_open.split("\n").map((entry) => JSON.parse(entry) as MailEntry) }
        : {}),
    };
    const group = groups.get(row.recipient_key);
    if (group) group.push(item);
    else groups.set(row.recipient_key, [item]);
  }
  return groups;
}

export interface OutboxOptions {
  /** The domain of generated Message-IDs. */
  messageDomain?: string;
  /**
   * Take the outbox's lock file for this process (the bridge, `migrate`). Readers such as `history`
   * do not: WAL lets them read while the bridge writes.
   */
  exclusive?: boolean;
  /** Apply pending schema migrations; otherwise an outdated schema is an error. */
  migrate?: boolean;
}

/** The lock file beside a SQLite outbox. */
export const lockFileOf = (file: string) => `${file}.lock`;

/**
 * Hold the outbox's lock file for the life of this process: an exclusive SQLite transaction on a
 * side database (POSIX record locks underneath, so a killed process releases it with its file
 * descriptors). The outbox itself stays unlocked for readers.
 */
function lockOutbox(file: string): Database.Database {
  const lockFile = lockFileOf(file);
  const lock = new Database(lockFile, { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY")
      throw new Error(
        `${file} is in use by another process (lock ${lockFile}); a SQLite outbox serves one bridge, use a postgres:// outbox for several`,
      );
    throw error;
  }
  return lock;
}

export interface StoredAlert {
  id: number;
  receivedAt: number;
  fingerprint: string;
  status: "firing" | "resolved";
  startsAt: string;
  endsAt?: string;
  account?: string;
  task: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  attempts: number;
}

export interface MailRecipient {
  address: string;
  audience: MailAudience;
  language: string;
  timeZone: string;
  /** Greeting name for customer mails. */
  name?: string;
}

/** What routing decided for one alert and one recipient (or one reason nobody gets mail). */
export type RoutedItem =
  | { kind: "queued"; recipient: MailRecipient; entry: MailEntry }
  | { kind: "suppressed"; audience?: MailAudience; reason: string; entry: MailEntry };

export interface QueuedItem {
  id: number;
  /** The first mail to this recipient about the item's problem, when there was one. */
  thread?: ThreadRoot;
  alertId: number;
  createdAt: number;
  account?: string;
  task: string;
  recipient: MailRecipient;
  entry: MailEntry;
  /** For a resolution: the other problems of the mails it continues, still open. */
  stillOpen?: MailEntry[];
}

export interface NewMail {
  recipient: MailRecipient;
  subject: string;
  text: string;
  html: string;
  /** Threading and list headers (In-Reply-To, References, List-Id, …). */
  headers?: Record<string, string>;
  accounts: string[];
  tasks: string[];
}

/** An item no mail can carry (it cannot be rendered), and why. */
export interface DeadItem {
  itemId: number;
  reason: string;
}

/** One recipient's queued items composed: the mail of those that render (if any), and the others. */
export interface Composition {
  mail?: NewMail;
  itemIds: number[];
  dead: DeadItem[];
}

/** A digest to send once per (kind, recipient, period). */
export interface NewDigest {
  kind: string;
  /** The recipient's address, lower case. */
  recipient: string;
  period: string;
  snapshot: string;
  mail: NewMail;
}

export interface StoredMail {
  id: number;
  createdAt: number;
  recipient: string;
  messageId: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  accounts: string[];
  tasks: string[];
  attempts: number;
  /** The relay has refused this recipient since then, and taken nobody else meanwhile. */
  refusedSince?: number;
  /** An operator requeued the mail then; its maximum age counts from here. */
  requeuedAt?: number;
}

export type AttemptOutcome =
  | { kind: "sent"; response: string }
  | { kind: "temporary"; error: string; retryAt: number; refusedSince?: number }
  | { kind: "rejected"; error: string }
  | { kind: "dead"; error: string };

export interface ProblemState {
  resolved: boolean;
  announced: boolean;
  waiting: boolean;
}

export interface Attempt {
  mailId: number;
  outcome: AttemptOutcome;
  at: number;
  durationMs: number;
}

export interface AcceptResult {
  notificationId: number;
  alerts: number;
  duplicates: number;
}

export interface OutboxStats {
  pendingMails: number;
  oldestPendingMs?: number;
  deadLetters: number;
  pendingAlerts: number;
  queuedItems: number;
}

export interface HistoryRow {
  at: number;
  recipient?: string;
  audience?: string;
  task: string;
  status: string;
  outcome: string;
  messageId?: string;
  subject?: string;
}

export const recipientKey = (r: MailRecipient) => `${r.address.toLowerCase()}|${r.audience}|${r.language}`;

/** The outbox's counters, one query in both stores' SQL. */
export const statsQuery = `SELECT
  (SELECT COUNT(*) FROM mails WHERE state IN ('pending', 'sending')) AS pending,
  (SELECT MIN(created_at) FROM mails WHERE state IN ('pending', 'sending')) AS oldest,
  (SELECT COUNT(*) FROM mails WHERE state = 'dead') + (SELECT COUNT(*) FROM items WHERE state = 'dead') AS dead,
  (SELECT COUNT(*) FROM alerts WHERE state = 'pending') AS alerts,
  (SELECT MIN(received_at) FROM alerts WHERE state = 'pending') AS "oldestAlert",
  (SELECT COUNT(*) FROM items WHERE state = 'queued') AS queued,
  (SELECT MIN(created_at) FROM items WHERE state = 'queued') AS "oldestItem"`;

export interface StatsRecord {
  pending: number;
  oldest: number | null;
  dead: number;
  alerts: number;
  oldestAlert: number | null;
  queued: number;
  oldestItem: number | null;
}

export const statsOf = (row: StatsRecord): OutboxStats => {
  const oldest = [row.oldest, row.oldestAlert, row.oldestItem].filter((t): t is number => t !== null);
  return {
    pendingMails: row.pending,
    deadLetters: row.dead,
    pendingAlerts: row.alerts,
    queuedItems: row.queued,
    ...(oldest.length > 0 ? { oldestPendingMs: Math.min(...oldest) } : {}),
  };
};

/** What the outbox recorded for one account (parameter 1) newest first, at most parameter 2 rows; both stores' SQL. */
export const historyQuery = (parameter: (n: number) => string) => `
  SELECT i.created_at AS at, COALESCE(m.recipient, i.recipient) AS recipient, i.audience, i.task, i.status,
    CASE i.state WHEN 'suppressed' THEN 'suppressed: ' || i.reason
      WHEN 'queued' THEN 'queued' WHEN 'dead' THEN 'dead: ' || i.reason ELSE m.state END AS outcome,
    m.message_id AS "messageId", m.subject, m.last_error AS error
  FROM items i LEFT JOIN mails m ON m.id = i.mail_id WHERE i.account = ${parameter(1)}
  UNION ALL
  SELECT a.received_at, NULL, NULL, a.task, a.status,
    CASE WHEN a.state = 'duplicate' THEN 'suppressed: duplicate'
      WHEN a.last_error LIKE 'held %' THEN 'held' ELSE 'waiting for the directory' END,
    NULL, NULL, a.last_error
  FROM alerts a WHERE a.account = ${parameter(1)} AND a.state IN ('duplicate', 'pending')
  ORDER BY 1 DESC LIMIT ${parameter(2)}`;

/** A history row as both stores select it. */
export interface HistoryRecord {
  at: number;
  recipient: string | null;
  audience: string | null;
  task: string;
  status: string;
  outcome: string;
  messageId: string | null;
  subject: string | null;
  error: string | null;
}

export const historyOutcome = (row: HistoryRecord): HistoryRow => ({
  at: row.at,
  ...(row.recipient ? { recipient: row.recipient } : {}),
  ...(row.audience ? { audience: row.audience } : {}),
  task: row.task,
  status: row.status,
  outcome: row.error && row.outcome !== "sent" ? `${row.outcome} (${row.error})` : row.outcome,
  ...(row.messageId ? { messageId: row.messageId } : {}),
  ...(row.subject ? { subject: row.subject } : {}),
});

export interface AlertRow {
  id: number;
  received_at: number;
  fingerprint: string;
  status: "firing" | "resolved";
  starts_at: string;
  ends_at: string | null;
  account: string | null;
  task: string;
  labels: string;
  annotations: string;
  attempts: number;
}

/** The columns of {@link AlertRow}, for either store's claim. */
export const alertColumns =
  "id, received_at, fingerprint, status, starts_at, ends_at, account, task, labels, annotations, attempts";

export const toStoredAlert = (row: AlertRow): StoredAlert => ({
  id: row.id,
  receivedAt: row.received_at,
  fingerprint: row.fingerprint,
  status: row.status,
  startsAt: row.starts_at,
  ...(row.ends_at ? { endsAt: row.ends_at } : {}),
  ...(row.account !== null ? { account: row.account } : {}),
  task: row.task,
  labels: JSON.parse(row.labels) as Record<string, string>,
  annotations: JSON.parse(row.annotations) as Record<string, string>,
  attempts: row.attempts,
});

export interface MailRow {
  id: number;
  created_at: number;
  recipient: string;
  message_id: string;
  subject: string;
  text: string;
  html: string;
  headers: string;
  accounts: string;
  tasks: string;
  attempts: number;
  refused_since: number | null;
  requeued_at: number | null;
}

/** The columns of {@link MailRow}, for either store's claim. */
export const mailColumns =
  "id, created_at, recipient, message_id, subject, text, html, headers, accounts, tasks, attempts, refused_since, requeued_at";

export const toStoredMail = (row: MailRow): StoredMail => ({
  id: Number(row.id),
  createdAt: Number(row.created_at),
  recipient: row.recipient,
  messageId: row.message_id,
  subject: row.subject,
  text: row.text,
  html: row.html,
  headers: JSON.parse(row.headers) as Record<string, string>,
  accounts: JSON.parse(row.accounts) as string[],
  tasks: JSON.parse(row.tasks) as string[],
  attempts: row.attempts,
  ...(row.refused_since !== null ? { refusedSince: Number(row.refused_since) } : {}),
  ...(row.requeued_at !== null ? { requeuedAt: Number(row.requeued_at) } : {}),
});

/** Which rejected or dead mails `requeue` sends again; every given field must match. */
export interface RequeueFilter {
  /** Created at or after (ms). */
  since?: number;
  /** Created before (ms). */
  until?: number;
  recipient?: string;
  account?: string;
}

/** Rendering time per coalescing transaction: a burst's reseller mails take milliseconds each. */
const coalesceSliceMs = 20;

/**
 * The durable outbox: everything the bridge accepted, what became of it, and each delivery attempt.
 * Times are Unix milliseconds. Every state change is one transaction, so a crash at any point
 * leaves either the old or the new state, never half of it. The tables are made by the numbered
 * migrations of `src/store/sqlite.ts`.
 */
export class SqliteOutbox implements OutboxStore {
  readonly db: Database.Database;
  readonly where: string;
  readonly migration: MigrationReport;
  statements = 0;
  private readonly lock: Database.Database | undefined;
  /** The group commit's fsync, off the event loop (none for an outbox in memory). */
  private readonly wal: WalSync | undefined;
  private readonly messageDomain: string;
  private readonly sql;
  /** Writes waiting for the next group commit. */
  private readonly group: Array<{
    write: () => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }> = [];

  /**
   * WAL with synchronous=FULL: a 200 to Alertmanager means the notification survives a power
   * loss, not only a process crash (NORMAL could lose the last commits); the cost is one fsync
   * per transaction, so the writes of a burst (accepted payloads, recorded sends) share one, run on the
   * thread pool: see `groupCommit`; and the writes a power cut may take back at no cost skip theirs: see
   * `withoutSync`.
   */
  constructor(file: string, options: OutboxOptions = {}) {
    const memory = file === ":memory:";
    if (!memory) mkdirSync(path.dirname(file), { recursive: true });
    this.lock = options.exclusive && !memory ? lockOutbox(file) : undefined;
    let opened: Database.Database | undefined;
    try {
      opened = new Database(file);
      const wal = opened.pragma("journal_mode = WAL", { simple: true }) === "wal";
      opened.pragma("synchronous = FULL");
      // A checkpoint copies the WAL into the database on the event loop, in whichever commit crosses the
      // limit: at the default 4 MiB a burst (tens of MiB of mails) checkpointed every few hundred mails,
      // which doubled the cost of writing them. At 64 MiB pages rewritten meanwhile are copied once.
      opened.pragma("wal_autocheckpoint = 16384");
      opened.pragma("busy_timeout = 5000");
      opened.pragma("foreign_keys = ON");
      this.migration = migrateSqlite(opened, options.migrate ?? true);
      // Opening and migrating made the WAL file, which stays while this connection is open.
      this.wal = wal ? new WalSync(`${file}-wal`) : undefined;
    } catch (error) {
      opened?.close();
      this.lock?.close();
      throw error;
    }
    const db = opened;
    this.db = db;
    this.where = file;
    this.messageDomain = options.messageDomain ?? "stoney-backup-monitor.invalid";
    this.sql = {
      // Prepared once: `withoutSync` switches for every routing round and claim of a burst.
      syncNormal: db.prepare("PRAGMA synchronous = NORMAL"),
      syncFull: db.prepare("PRAGMA synchronous = FULL"),
      insertNotification: db.prepare(
        `INSERT INTO notifications (received_at, group_key, receiver, status, alert_count, truncated_alerts)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      problemResolved: db.prepare(
        `SELECT 1 FROM alerts WHERE fingerprint = ? AND status = 'resolved' AND starts_at = ? LIMIT 1`,
      ),
      problemAnnounced: db.prepare(
        `SELECT 1 FROM alerts a JOIN items i ON i.alert_id = a.id
         WHERE a.fingerprint = ? AND a.status = 'firing' AND a.starts_at = ? AND i.state IN ('queued', 'mailed') LIMIT 1`,
      ),
      problemWaiting: db.prepare(
        `SELECT 1 FROM alerts WHERE fingerprint = ? AND status = 'firing' AND starts_at = ? AND state = 'pending' LIMIT 1`,
      ),
      seen: db.prepare(
        `SELECT 1 FROM alerts WHERE fingerprint = ? AND status = ? AND starts_at = ? AND received_at > ?
         AND state != 'duplicate' LIMIT 1`,
      ),
      insertAlert: db.prepare(
        `INSERT INTO alerts (notification_id, received_at, fingerprint, status, starts_at, ends_at, account, task,
          labels, annotations, state, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      dueAlerts: db.prepare(
        `SELECT ${alertColumns} FROM alerts WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
      ),
      nextAlert: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM alerts WHERE state = 'pending'`),
      routeAlert: db.prepare(`UPDATE alerts SET state = 'routed', last_error = NULL WHERE id = ?`),
      deferAlert: db.prepare(
        `UPDATE alerts SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`,
      ),
      insertItem: db.prepare(
        `INSERT INTO items (alert_id, created_at, account, task, status, audience, recipient, language, time_zone,
          recipient_name, recipient_key, entry, state, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),

      nextGroup: db.prepare(
        `SELECT MIN(closes) AS at FROM (SELECT MIN(MAX(created_at) + @quietMs, MIN(created_at) + @maxHoldMs) AS closes
         FROM items WHERE state = 'queued' GROUP BY recipient_key)`,
      ),
      readyItems: db.prepare(
        `SELECT id, alert_id, created_at, account, task, audience, recipient, language, time_zone, recipient_name,
           recipient_key, entry, ${threadRootColumns("items")},
           ${stillOpenColumn("items", (e) => `group_concat(${e}, char(10))`)}
         FROM items WHERE state = 'queued' AND recipient_key IN (
           SELECT recipient_key FROM items WHERE state = 'queued' GROUP BY recipient_key
           HAVING MIN(MAX(created_at) + @quietMs, MIN(created_at) + @maxHoldMs) <= @now LIMIT @limit)
         ORDER BY id`,
      ),
      insertMail: db.prepare(
        `INSERT INTO mails (created_at, recipient, audience, language, message_id, subject, text, html, headers,
          accounts, tasks, state, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      ),
      buryItem: db.prepare(`UPDATE items SET state = 'dead', reason = ? WHERE id = ? AND state = 'queued'`),
      mailItem: db.prepare(
        `UPDATE items SET state = 'mailed', mail_id = ? WHERE id = ? AND state = 'queued'`,
      ),
      dueMails: db.prepare(
        `SELECT ${mailColumns}
         FROM mails WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
      ),
      nextMail: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM mails WHERE state = 'pending'`),
      claimMail: db.prepare(`UPDATE mails SET state = 'sending' WHERE id = ? AND state = 'pending'`),
      recover: db.prepare(`UPDATE mails SET state = 'pending' WHERE state = 'sending'`),
      release: db.prepare(`UPDATE mails SET state = 'pending' WHERE id = ? AND state = 'sending'`),
      probe: db.prepare(
        `INSERT INTO probes (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`,
      ),
      insertAttempt: db.prepare(
        `INSERT INTO attempts (mail_id, at, duration_ms, outcome, response) VALUES (?, ?, ?, ?, ?)`,
      ),
      finishMail: db.prepare(
        `UPDATE mails SET state = ?, attempts = attempts + 1, finished_at = ?, last_error = ? WHERE id = ?`,
      ),
      retryMail: db.prepare(
        `UPDATE mails SET state = 'pending', attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
           refused_since = ? WHERE id = ?`,
      ),
      requeue: db.prepare(
        `UPDATE mails SET state = 'pending', next_attempt_at = @now, requeued_at = @now, refused_since = NULL
         WHERE state IN ('rejected', 'dead')
           AND (@since IS NULL OR created_at >= @since) AND (@until IS NULL OR created_at < @until)
           AND (@recipient IS NULL OR lower(recipient) = lower(@recipient))
           AND (@account IS NULL OR EXISTS (SELECT 1 FROM json_each(mails.accounts) WHERE value = @account))`,
      ),
      prune: pruneStatements((n) => (n === 1 ? "@cutoff" : "@limit")).map((sql) => db.prepare(sql)),
      size: db.prepare("SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()"),
      stats: db.prepare(statsQuery),
      digestSent: db.prepare("SELECT 1 FROM digests WHERE kind = ? AND recipient = ? AND period = ?"),
      insertDigest: db.prepare(
        "INSERT INTO digests (kind, recipient, period, created_at, mail_id, snapshot) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      previousDigest: db.prepare(
        "SELECT snapshot FROM digests WHERE kind = ? AND recipient = ? AND period < ? ORDER BY period DESC LIMIT 1",
      ),
      history: db.prepare(historyQuery((n) => `@p${n}`)),
    };
  }

  /** Store one webhook payload in one transaction; duplicates within the window are stored as such. */
  /**
   * Writes that arrive in one turn of the event loop (webhooks of a burst, sends ending together)
   * commit in one transaction, one fsync for all; each runs in a savepoint of its own, so one that
   * fails fails alone, and none resolves before the commit is durable. The fsync is the WAL's, on the
   * thread pool: while the disk syncs, the event loop takes the next webhooks, whose commits share the
   * next fsync.
   */
  private groupCommit<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.group.length === 0) setImmediate(() => this.commitGroup());
      this.group.push({ write, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /**
   * One transaction whose loss in a power cut costs a repeat and nothing else, committed without an fsync
   * of its own: routing (its alerts are still pending, and are routed again) and claiming mails (a claim
   * lost leaves the mail pending, which is what recovery makes of every claim at the next start). The WAL
   * is synced in order, so the next durable commit (an accept, new mails, a recorded send) syncs it too:
   * nothing durable ever depends on it being lost, as mails are created and sends recorded durably.
   */
  private withoutSync<T>(write: () => T): T {
    this.sql.syncNormal.run();
    try {
      return this.db.transaction(write)();
    } finally {
      this.sql.syncFull.run();
    }
  }

  private commitGroup(): void {
    const writes = this.group.splice(0);
    const settle: Array<() => void> = [];
    const all = () => {
      for (const { write, resolve, reject } of writes)
        try {
          const value = this.db.transaction(write)();
          settle.push(() => resolve(value));
        } catch (error) {
          settle.push(() => reject(error));
        }
    };
    try {
      if (this.wal) this.withoutSync(all);
      else this.db.transaction(all)();
    } catch (error) {
      for (const { reject } of writes) reject(error);
      return;
    }
    const done = () => {
      for (const result of settle) result();
    };
    if (!this.wal) done();
    else
      this.wal.synced().then(done, (error) => {
        for (const { reject } of writes) reject(error);
      });
  }

  async accept(notification: Notification, now: number, dedupeWindowMs: number): Promise<AcceptResult> {
    this.statements++;
    const s = this.sql;
    return this.groupCommit((): AcceptResult => {
      const { lastInsertRowid } = s.insertNotification.run(
        now,
        notification.groupKey,
        notification.receiver,
        notification.status,
        notification.alerts.length,
        notification.truncatedAlerts,
      );
      const notificationId = Number(lastInsertRowid);
      let duplicates = 0;
      const since = now - dedupeWindowMs;
      for (const alert of notification.alerts) {
        const duplicate =
          dedupeWindowMs > 0 &&
          s.seen.get(alert.fingerprint, alert.status, alert.startsAt, since) !== undefined;
        if (duplicate) duplicates++;
        s.insertAlert.run(
          notificationId,
          now,
          alert.fingerprint,
          alert.status,
          alert.startsAt,
          alert.endsAt ?? null,
          alert.labels.account ?? null,
          alert.labels.task ?? "generic",
          JSON.stringify(alert.labels),
          JSON.stringify(alert.annotations),
          duplicate ? "duplicate" : "pending",
          now,
        );
      }
      return { notificationId, alerts: notification.alerts.length, duplicates };
    });
  }

  /** What became of each alert's problem (its fingerprint and startsAt) so far, by alert id. */
  async problems(alerts: readonly StoredAlert[]): Promise<Map<number, ProblemState>> {
    this.statements++;
    const s = this.sql;
    return new Map(
      alerts.map((alert) => [
        alert.id,
        {
          resolved: s.problemResolved.get(alert.fingerprint, alert.startsAt) !== undefined,
          announced: s.problemAnnounced.get(alert.fingerprint, alert.startsAt) !== undefined,
          waiting: s.problemWaiting.get(alert.fingerprint, alert.startsAt) !== undefined,
        },
      ]),
    );
  }

  /** Due alerts: with one process there is nothing to lease. */
  async claimAlerts(now: number, limit: number): Promise<StoredAlert[]> {
    this.statements++;
    return (this.sql.dueAlerts.all(now, limit) as AlertRow[]).map(toStoredAlert);
  }

  /** Nothing to give back: one process owns the file, and an alert stays pending until it is routed. */
  async abandonClaims(): Promise<void> {}

  /** Write the routing of many alerts at once: their items, and the alerts as routed. */
  async route(
    routed: ReadonlyArray<{ alert: StoredAlert; items: readonly RoutedItem[] }>,
    now: number,
  ): Promise<void> {
    this.statements++;
    const s = this.sql;
    this.withoutSync(() => {
      for (const { alert, items } of routed) {
        for (const item of items) {
          const r = item.kind === "queued" ? item.recipient : undefined;
          s.insertItem.run(
            alert.id,
            now,
            alert.account ?? null,
            alert.task,
            alert.status,
            item.kind === "queued" ? item.recipient.audience : (item.audience ?? null),
            r?.address ?? null,
            r?.language ?? null,
            r?.timeZone ?? null,
            r?.name ?? null,
            r ? recipientKey(r) : null,
            JSON.stringify(item.entry),
            item.kind,
            item.kind === "suppressed" ? item.reason : null,
          );
        }
        s.routeAlert.run(alert.id);
      }
    });
  }

  /** The directory could not answer: try these alerts again later. */
  async defer(
    alerts: readonly StoredAlert[],
    retryAt: (alert: StoredAlert) => number,
    error: string,
  ): Promise<void> {
    this.statements++;
    this.db.transaction(() => {
      for (const alert of alerts) this.sql.deferAlert.run(retryAt(alert), error, alert.id);
    })();
  }

  /**
   * The recipients whose window closed, their items, their mails: one transaction per slice of about
   * `coalesceSliceMs` of rendering (a recipient's items always in one), and a turn of the event loop
   * between slices. Each is committed without an fsync on the event loop: a mail is handed out for
   * sending only once the WAL holding it is synced (see `claimMails`), and a crash before that leaves its
   * items queued, to be coalesced again.
   */
  async coalesce(
    window: CoalescingWindow,
    limit: number,
    compose: (items: readonly QueuedItem[]) => Composition,
    now: number,
  ): Promise<number> {
    this.statements++;
    const transaction = this.wal
      ? this.withoutSync.bind(this)
      : (write: () => number) => this.db.transaction(write)();
    const recipients = [...this.readyItems(now, window, limit).values()];
    let created = 0;
    let next = 0;
    while (next < recipients.length) {
      const sliceStarted = performance.now();
      created += transaction(() => {
        const dead: DeadItem[] = [];
        const mails: Array<{ mail: NewMail; itemIds: readonly number[] }> = [];
        do {
          const composed = compose(recipients[next++] as QueuedItem[]);
          dead.push(...composed.dead);
          if (composed.mail) mails.push({ mail: composed.mail, itemIds: composed.itemIds });
        } while (next < recipients.length && performance.now() - sliceStarted < coalesceSliceMs);
        return this.createMails(mails, now, dead).length;
      });
      // Sends wait for their outcomes to be recorded and webhooks for their commits: both run between slices.
      if (next < recipients.length) await nextTurn();
    }
    return created;
  }

  /** The queued items of each recipient whose coalescing window has closed at `now`, by recipient key. */
  readyItems(now: number, window: CoalescingWindow, limit: number): Map<string, QueuedItem[]> {
    return itemsByRecipient(this.sql.readyItems.all({ ...window, now, limit }) as ItemRecord[]);
  }

  /** Create mails and attach their items, and dead-letter the items no mail can carry, all in one transaction. */
  createMails(
    mails: ReadonlyArray<{ mail: NewMail; itemIds: readonly number[] }>,
    now: number,
    dead: readonly DeadItem[] = [],
  ): number[] {
    const s = this.sql;
    return this.db.transaction(() => {
      for (const { itemId, reason } of dead) s.buryItem.run(reason, itemId);
      return mails.map(({ mail, itemIds }) => {
        const messageId = `<${randomUUID()}@${this.messageDomain}>`;
        const { lastInsertRowid } = s.insertMail.run(
          now,
          mail.recipient.address,
          mail.recipient.audience,
          mail.recipient.language,
          messageId,
          mail.subject,
          mail.text,
          mail.html,
          JSON.stringify(mail.headers ?? {}),
          JSON.stringify(mail.accounts),
          JSON.stringify(mail.tasks),
          now,
        );
        const id = Number(lastInsertRowid);
        for (const itemId of itemIds) s.mailItem.run(id, itemId);
        return id;
      });
    })();
  }

  /**
   * Queue each digest whose (kind, recipient, period) has none yet, with its mail, in one transaction per
   * digest; returns how many were new. A digest another bridge or an earlier run queued is skipped.
   */
  async createDigests(digests: readonly NewDigest[], now: number): Promise<number> {
    this.statements++;
    const s = this.sql;
    let created = 0;
    for (const digest of digests)
      this.db
        .transaction(() => {
          if (s.digestSent.get(digest.kind, digest.recipient, digest.period) !== undefined) return;
          const [mailId] = this.createMails([{ mail: digest.mail, itemIds: [] }], now);
          s.insertDigest.run(digest.kind, digest.recipient, digest.period, now, mailId, digest.snapshot);
          created += 1;
        })
        .immediate();
    return created;
  }

  /** The snapshot of the recipient's last digest of this kind before `period`. */
  async previousDigest(kind: string, recipient: string, period: string): Promise<string | undefined> {
    this.statements++;
    return (this.sql.previousDigest.get(kind, recipient, period) as { snapshot: string } | undefined)
      ?.snapshot;
  }

  /**
   * Take due mails for sending; they are marked `sending` first so a crash sends them again at most once
   * more. They are returned once the WAL is synced: a mail whose creation a power cut could still take
   * back (coalescing commits without a sync) would be mailed again, composed anew.
   */
  async claimMails(now: number, limit: number): Promise<StoredMail[]> {
    this.statements++;
    const s = this.sql;
    const claimed = this.withoutSync(() => {
      const rows = s.dueMails.all(now, limit) as MailRow[];
      for (const row of rows) s.claimMail.run(row.id);
      return rows.map(toStoredMail);
    });
    if (claimed.length > 0) await this.wal?.synced();
    return claimed;
  }

  /** Mails that were being sent when the process died go back to pending. */
  async recoverInFlight(): Promise<number> {
    this.statements++;
    return this.sql.recover.run().changes;
  }

  /**
   * Record one delivery attempt as soon as it ended, in its own transaction: a crash afterwards
   * cannot send that mail again.
   */
  async record(attempt: Attempt): Promise<void> {
    this.statements++;
    const s = this.sql;
    const { mailId, outcome, at, durationMs } = attempt;
    await this.groupCommit(() => {
      const response = outcome.kind === "sent" ? outcome.response : outcome.error;
      s.insertAttempt.run(mailId, at, Math.round(durationMs), outcome.kind, response);
      if (outcome.kind === "temporary")
        s.retryMail.run(outcome.retryAt, outcome.error, outcome.refusedSince ?? null, mailId);
      else if (outcome.kind === "sent") s.finishMail.run("sent", at, null, mailId);
      else s.finishMail.run(outcome.kind, at, outcome.error, mailId);
    });
  }

  /** Rejected and dead mails matching the filter go back to pending, due now; returns how many. */
  async requeue(filter: RequeueFilter, now: number): Promise<number> {
    this.statements++;
    return this.sql.requeue.run({
      now,
      since: filter.since ?? null,
      until: filter.until ?? null,
      recipient: filter.recipient ?? null,
      account: filter.account ?? null,
    }).changes;
  }

  /** A send given up at shutdown: back to pending, not counted as an attempt. */
  async release(mailId: number): Promise<void> {
    this.statements++;
    this.sql.release.run(mailId);
  }

  /** Readiness: one real (synced) write; rejects when the store cannot write. */
  async probe(now: number): Promise<void> {
    this.statements++;
    this.sql.probe.run(now);
  }

  /** When routing or coalescing next has something to do (ms), or undefined when nothing waits. */
  async nextPreparation(window: CoalescingWindow): Promise<number | undefined> {
    this.statements++;
    const alert = this.at(this.sql.nextAlert);
    const group = (this.sql.nextGroup.get(window) as { at: number | null }).at ?? undefined;
    const times = [alert, group].filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** When the next pending mail is due (ms), or undefined when none waits. */
  async nextSending(): Promise<number | undefined> {
    this.statements++;
    return this.at(this.sql.nextMail);
  }

  private at(statement: Database.Statement): number | undefined {
    return (statement.get() as { at: number | null }).at ?? undefined;
  }

  async stats(): Promise<OutboxStats> {
    this.statements++;
    return statsOf(this.sql.stats.get() as StatsRecord);
  }

  /** One small transaction of retention; returns the rows it deleted (0: nothing older is left). */
  async prune(cutoff: number, limit: number): Promise<number> {
    for (const statement of this.sql.prune) {
      this.statements++;
      const { changes } = statement.run({ cutoff, limit });
      if (changes > 0) return changes;
    }
    return 0;
  }

  /** The store's size on disk (the database file's pages; the WAL is checkpointed into it). */
  async sizeBytes(): Promise<number> {
    this.statements++;
    return (this.sql.size.get() as { bytes: number }).bytes;
  }

  async history(account: string, limit: number): Promise<HistoryRow[]> {
    this.statements++;
    return (this.sql.history.all({ p1: account, p2: limit }) as HistoryRecord[]).map(historyOutcome);
  }

  async close(): Promise<void> {
    await this.wal?.close();
    this.db.close();
    this.lock?.close();
  }
}
