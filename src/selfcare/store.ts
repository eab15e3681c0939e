import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Stream, Unsubscription } from "../bridge/unsubscribe.js";
import { migrateSqlite } from "../store/sqlite.js";

/** A logged-in person. The cookie carries a random token; the store keeps only its SHA-256 (`id`). */
export interface Session {
  id: string;
  personUid: string;
  csrfToken: string;
  /** The person's language for the pages (en, de, fr). */
  language: string;
  createdAt: number;
  lastSeenAt: number;
}

/** Notifications about an account are suppressed from `createdAt` until `until` (Unix ms). */
export interface Pause {
  id: number;
  account: string;
  createdBy: string;
  createdAt: number;
  until: number;
  comment?: string;
  /** The Alertmanager silence that mirrors the pause, when one was created. */
  silenceId?: string;
  /** Set when the pause was ended early. */
  endedAt?: number;
  endedBy?: string;
}

export type NewPause = Pick<Pause, "account" | "createdBy" | "createdAt" | "until" | "comment">;

/** One changed value: who changed what, when, from what to what (`target` is an account or `reseller:<uid>`). */
export interface AuditEntry {
  at: number;
  personUid: string;
  target: string;
  action: string;
  oldValue?: string;
  newValue?: string;
}

/** A key's failed logins within the throttle's window. */
export interface LoginFailures {
  count: number;
  /** The latest, Unix ms. */
  last: number;
}

/**
 * What the portal keeps besides the directory: sessions, pauses and the audit trail. Promise-returning
 * so a networked backend (PostgreSQL) fits behind the same interface.
 */
export interface SelfcareStore {
  createSession(session: Session): Promise<void>;
  session(id: string): Promise<Session | undefined>;
  touchSession(id: string, at: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  /** Remove sessions last seen before `before`; returns how many. */
  deleteIdleSessions(before: number): Promise<number>;

  addPause(pause: NewPause): Promise<Pause>;
  setPauseSilence(id: number, silenceId: string): Promise<void>;
  /** End a pause of this account early; undefined when it does not exist or has ended. */
  endPause(account: string, id: number, by: string, at: number): Promise<Pause | undefined>;
  /** An account's pauses, newest first, ended ones included. */
  pauses(account: string, limit: number): Promise<Pause[]>;
  /** The pause in force at `at` for each of these accounts (the one that lasts longest). */
  activePauses(accounts: readonly string[], at: number): Promise<Map<string, Pause>>;

  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** The audit trail of one target, newest first. */
  audit(target: string, limit: number): Promise<AuditEntry[]>;

  /**
   * Unsubscribe an address (stored in lower case) from a stream; `created` is false when it was
   * unsubscribed already (the earlier record is returned).
   */
  unsubscribe(
    address: string,
    stream: Stream,
    by: string,
    at: number,
  ): Promise<{ unsubscription: Unsubscription; created: boolean }>;
  /** Undo an unsubscription in force; undefined when there is none with this id. */
  endUnsubscription(id: number, by: string, at: number): Promise<Unsubscription | undefined>;
  /** The unsubscriptions in force of these addresses (any case). */
  activeUnsubscriptions(addresses: readonly string[]): Promise<Unsubscription[]>;

  /**
   * Failed logins since `since` of each of these keys (a uid, a client address, a uid from an address):
   * how many and the latest; keys without any are left out.
   */
  loginFailures(keys: readonly string[], since: number): Promise<Map<string, LoginFailures>>;
  addLoginFailure(keys: readonly string[], at: number): Promise<void>;
  clearLoginFailures(keys: readonly string[]): Promise<void>;
  /** Remove failures from before `before`; returns how many. */
  deleteLoginFailures(before: number): Promise<number>;
  close(): Promise<void>;
}

export interface UnsubscriptionRow {
  id: number;
  address: string;
  stream: string;
  created_at: number;
  created_by: string;
  ended_at: number | null;
  ended_by: string | null;
}

export const toUnsubscription = (row: UnsubscriptionRow): Unsubscription => ({
  id: row.id,
  address: row.address,
  stream: row.stream as Stream,
  createdAt: row.created_at,
  createdBy: row.created_by,
  ...(row.ended_at !== null ? { endedAt: row.ended_at } : {}),
  ...(row.ended_by !== null ? { endedBy: row.ended_by } : {}),
});

export const unsubscriptionColumns = "id, address, stream, created_at, created_by, ended_at, ended_by";

/** The insert both stores run: nothing when the address is unsubscribed from the stream already. */
export const unsubscribeInsert = (p: (n: number) => string) =>
  `INSERT INTO selfcare_unsubscriptions (address, stream, created_at, created_by) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})
   ON CONFLICT (address, stream) WHERE ended_at IS NULL DO NOTHING`;

export interface PauseRow {
  id: number;
  account: string;
  created_by: string;
  created_at: number;
  until: number;
  comment: string | null;
  silence_id: string | null;
  ended_at: number | null;
  ended_by: string | null;
}

export const toPause = (row: PauseRow): Pause => ({
  id: row.id,
  account: row.account,
  createdBy: row.created_by,
  createdAt: row.created_at,
  until: row.until,
  ...(row.comment !== null ? { comment: row.comment } : {}),
  ...(row.silence_id !== null ? { silenceId: row.silence_id } : {}),
  ...(row.ended_at !== null ? { endedAt: row.ended_at } : {}),
  ...(row.ended_by !== null ? { endedBy: row.ended_by } : {}),
});

export const pauseColumns =
  "id, account, created_by, created_at, until, comment, silence_id, ended_at, ended_by";

/**
 * The SQLite store, in the bridge's outbox file by default: the bridge reads the pauses there while
 * routing, so a pause written by the portal takes effect at the next routing round. The file's
 * migrations (`src/store/sqlite.ts`) make its tables; whichever of the portal and the bridge opens the
 * file first applies them, or with `migrate: false` finds them applied (else it refuses the file).
 */
export class SqliteSelfcareStore implements SelfcareStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(file: string, options: { migrate?: boolean } = {}) {
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    try {
      migrateSqlite(this.db, options.migrate ?? true);
    } catch (error) {
      this.db.close();
      throw error;
    }
    const db = this.db;
    this.statements = {
      insertSession: db.prepare(
        `INSERT INTO selfcare_sessions (id, person_uid, csrf_token, language, created_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      session: db.prepare(
        `SELECT id, person_uid, csrf_token, language, created_at, last_seen_at FROM selfcare_sessions WHERE id = ?`,
      ),
      touchSession: db.prepare(`UPDATE selfcare_sessions SET last_seen_at = ? WHERE id = ?`),
      deleteSession: db.prepare(`DELETE FROM selfcare_sessions WHERE id = ?`),
      deleteIdle: db.prepare(`DELETE FROM selfcare_sessions WHERE last_seen_at < ?`),
      insertPause: db.prepare(
        `INSERT INTO selfcare_pauses (account, created_by, created_at, until, comment) VALUES (?, ?, ?, ?, ?)`,
      ),
      pause: db.prepare(`SELECT ${pauseColumns} FROM selfcare_pauses WHERE id = ?`),
      setSilence: db.prepare(`UPDATE selfcare_pauses SET silence_id = ? WHERE id = ?`),
      endPause: db.prepare(
        `UPDATE selfcare_pauses SET ended_at = ?, ended_by = ?
         WHERE id = ? AND account = ? AND ended_at IS NULL AND until > ?`,
      ),
      pauses: db.prepare(
        `SELECT ${pauseColumns} FROM selfcare_pauses WHERE account = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
      ),
      active: db.prepare(
        `SELECT ${pauseColumns} FROM selfcare_pauses
         WHERE account = ? AND ended_at IS NULL AND created_at <= ? AND until > ? ORDER BY until DESC LIMIT 1`,
      ),
      insertAudit: db.prepare(
        `INSERT INTO selfcare_audit (at, person_uid, target, action, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      audit: db.prepare(
        `SELECT at, person_uid, target, action, old_value, new_value FROM selfcare_audit
         WHERE target = ? ORDER BY at DESC, id DESC LIMIT ?`,
      ),
      unsubscribe: db.prepare(unsubscribeInsert(() => "?")),
      activeUnsubscription: db.prepare(
        `SELECT ${unsubscriptionColumns} FROM selfcare_unsubscriptions WHERE address = ? AND stream = ? AND ended_at IS NULL`,
      ),
      endUnsubscription: db.prepare(
        `UPDATE selfcare_unsubscriptions SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL`,
      ),
      unsubscription: db.prepare(
        `SELECT ${unsubscriptionColumns} FROM selfcare_unsubscriptions WHERE id = ?`,
      ),
      activeUnsubscriptions: db.prepare(
        `SELECT ${unsubscriptionColumns} FROM selfcare_unsubscriptions WHERE address = ? AND ended_at IS NULL ORDER BY id`,
      ),
      loginFailures: db.prepare<[string, number], { count: number; last: number | null }>(
        "SELECT COUNT(*) AS count, MAX(at) AS last FROM selfcare_login_failures WHERE key = ? AND at >= ?",
      ),
      addLoginFailure: db.prepare("INSERT INTO selfcare_login_failures (key, at) VALUES (?, ?)"),
      clearLoginFailures: db.prepare("DELETE FROM selfcare_login_failures WHERE key = ?"),
      deleteLoginFailures: db.prepare("DELETE FROM selfcare_login_failures WHERE at < ?"),
    };
  }

  async createSession(session: Session): Promise<void> {
    this.statements.insertSession.run(
      session.id,
      session.personUid,
      session.csrfToken,
      session.language,
      session.createdAt,
      session.lastSeenAt,
    );
  }

  async session(id: string): Promise<Session | undefined> {
    const row = this.statements.session.get(id) as
      | {
          id: string;
          person_uid: string;
          csrf_token: string;
          language: string;
          created_at: number;
          last_seen_at: number;
        }
      | undefined;
    return row
      ? {
          id: row.id,
          personUid: row.person_uid,
          csrfToken: row.csrf_token,
          language: row.language,
          createdAt: row.created_at,
          lastSeenAt: row.last_seen_at,
        }
      : undefined;
  }

  async touchSession(id: string, at: number): Promise<void> {
    this.statements.touchSession.run(at, id);
  }

  async deleteSession(id: string): Promise<void> {
    this.statements.deleteSession.run(id);
  }

  async deleteIdleSessions(before: number): Promise<number> {
    return this.statements.deleteIdle.run(before).changes;
  }

  async addPause(pause: NewPause): Promise<Pause> {
    const { lastInsertRowid } = this.statements.insertPause.run(
      pause.account,
      pause.createdBy,
      pause.createdAt,
      pause.until,
      pause.comment ?? null,
    );
    return toPause(this.statements.pause.get(Number(lastInsertRowid)) as PauseRow);
  }

  async setPauseSilence(id: number, silenceId: string): Promise<void> {
    this.statements.setSilence.run(silenceId, id);
  }

  async endPause(account: string, id: number, by: string, at: number): Promise<Pause | undefined> {
    const { changes } = this.statements.endPause.run(at, by, id, account, at);
    return changes > 0 ? toPause(this.statements.pause.get(id) as PauseRow) : undefined;
  }

  async pauses(account: string, limit: number): Promise<Pause[]> {
    return (this.statements.pauses.all(account, limit) as PauseRow[]).map(toPause);
  }

  async activePauses(accounts: readonly string[], at: number): Promise<Map<string, Pause>> {
    const result = new Map<string, Pause>();
    for (const account of new Set(accounts)) {
      const row = this.statements.active.get(account, at, at) as PauseRow | undefined;
      if (row) result.set(account, toPause(row));
    }
    return result;
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    const insert = this.statements.insertAudit;
    this.db.transaction(() => {
      for (const e of entries)
        insert.run(e.at, e.personUid, e.target, e.action, e.oldValue ?? null, e.newValue ?? null);
    })();
  }

  async audit(target: string, limit: number): Promise<AuditEntry[]> {
    type Row = {
      at: number;
      person_uid: string;
      target: string;
      action: string;
      old_value: string | null;
      new_value: string | null;
    };
    return (this.statements.audit.all(target, limit) as Row[]).map((row) => ({
      at: row.at,
      personUid: row.person_uid,
      target: row.target,
      action: row.action,
      ...(row.old_value !== null ? { oldValue: row.old_value } : {}),
      ...(row.new_value !== null ? { newValue: row.new_value } : {}),
    }));
  }

  async unsubscribe(
    address: string,
    stream: Stream,
    by: string,
    at: number,
  ): Promise<{ unsubscription: Unsubscription; created: boolean }> {
    const key = address.toLowerCase();
    const { changes } = this.statements.unsubscribe.run(key, stream, at, by);
    const row = this.statements.activeUnsubscription.get(key, stream) as UnsubscriptionRow;
    return { unsubscription: toUnsubscription(row), created: changes > 0 };
  }

  async endUnsubscription(id: number, by: string, at: number): Promise<Unsubscription | undefined> {
    const { changes } = this.statements.endUnsubscription.run(at, by, id);
    return changes > 0
      ? toUnsubscription(this.statements.unsubscription.get(id) as UnsubscriptionRow)
      : undefined;
  }

  async activeUnsubscriptions(addresses: readonly string[]): Promise<Unsubscription[]> {
    return [...new Set(addresses.map((a) => a.toLowerCase()))]
      .flatMap((address) => this.statements.activeUnsubscriptions.all(address) as UnsubscriptionRow[])
      .sort((a, b) => a.id - b.id)
      .map(toUnsubscription);
  }

  async loginFailures(keys: readonly string[], since: number): Promise<Map<string, LoginFailures>> {
    const failures = new Map<string, LoginFailures>();
    for (const key of new Set(keys)) {
      const row = this.statements.loginFailures.get(key, since);
      if (row && row.count > 0 && row.last !== null) failures.set(key, { count: row.count, last: row.last });
    }
    return failures;
  }

  async addLoginFailure(keys: readonly string[], at: number): Promise<void> {
    this.db.transaction(() => {
      for (const key of keys) this.statements.addLoginFailure.run(key, at);
    })();
  }

  async clearLoginFailures(keys: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const key of keys) this.statements.clearLoginFailures.run(key);
    })();
  }

  async deleteLoginFailures(before: number): Promise<number> {
    return this.statements.deleteLoginFailures.run(before).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
