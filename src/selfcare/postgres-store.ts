import type pg from "pg";
import type { Stream, Unsubscription } from "../bridge/unsubscribe.js";
import { untilDone } from "../store/migrations.js";
import { migratePostgres } from "../store/postgres.js";
import {
  type AuditEntry,
  type LoginFailures,
  type NewPause,
  type Pause,
  type PauseRow,
  pauseColumns,
  type SelfcareStore,
  type Session,
  toPause,
  toUnsubscription,
  type UnsubscriptionRow,
  unsubscribeInsert,
  unsubscriptionColumns,
} from "./store.js";

/**
 * Sessions, pauses and audit in the PostgreSQL database of a `postgres://` outbox, so every bridge
 * instance and portal sees the same pauses and sessions. The pool must parse BIGINT as numbers
 * (the bridge's `createPool` does). The database's migrations (`src/store/postgres.ts`) make the
 * tables: the first query checks them, or applies them under the migration lock when `migrate` is set,
 * and a check that failed (the database was down) is made again by the next query.
 */
export class PostgresSelfcareStore implements SelfcareStore {
  private readonly schema: () => Promise<unknown>;

  constructor(
    private readonly pool: pg.Pool,
    options: { migrate?: boolean } = {},
  ) {
    this.schema = untilDone(() => migratePostgres(pool, options.migrate ?? true));
  }

  private async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    await this.schema();
    return (await this.pool.query<R>(text, values)).rows;
  }

  async createSession(session: Session): Promise<void> {
    await this.query(
      `INSERT INTO selfcare_sessions (id, person_uid, csrf_token, language, created_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        session.id,
        session.personUid,
        session.csrfToken,
        session.language,
        session.createdAt,
        session.lastSeenAt,
      ],
    );
  }

  async session(id: string): Promise<Session | undefined> {
    const [row] = await this.query<{
      id: string;
      person_uid: string;
      csrf_token: string;
      language: string;
      created_at: number;
      last_seen_at: number;
    }>(
      "SELECT id, person_uid, csrf_token, language, created_at, last_seen_at FROM selfcare_sessions WHERE id = $1",
      [id],
    );
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
    await this.query("UPDATE selfcare_sessions SET last_seen_at = $1 WHERE id = $2", [at, id]);
  }

  async deleteSession(id: string): Promise<void> {
    await this.query("DELETE FROM selfcare_sessions WHERE id = $1", [id]);
  }

  /** Run a DELETE; how many rows it removed. */
  private async deleted(text: string, values: unknown[]): Promise<number> {
    await this.schema();
    return (await this.pool.query(text, values)).rowCount ?? 0;
  }

  deleteIdleSessions(before: number): Promise<number> {
    return this.deleted("DELETE FROM selfcare_sessions WHERE last_seen_at < $1", [before]);
  }

  async addPause(pause: NewPause): Promise<Pause> {
    const [row] = await this.query<PauseRow>(
      `INSERT INTO selfcare_pauses (account, created_by, created_at, until, comment) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${pauseColumns}`,
      [pause.account, pause.createdBy, pause.createdAt, pause.until, pause.comment ?? null],
    );
    return toPause(row as PauseRow);
  }

  async setPauseSilence(id: number, silenceId: string): Promise<void> {
    await this.query("UPDATE selfcare_pauses SET silence_id = $1 WHERE id = $2", [silenceId, id]);
  }

  async endPause(account: string, id: number, by: string, at: number): Promise<Pause | undefined> {
    const [row] = await this.query<PauseRow>(
      `UPDATE selfcare_pauses SET ended_at = $1, ended_by = $2
       WHERE id = $3 AND account = $4 AND ended_at IS NULL AND until > $1 RETURNING ${pauseColumns}`,
      [at, by, id, account],
    );
    return row ? toPause(row) : undefined;
  }

  async pauses(account: string, limit: number): Promise<Pause[]> {
    const rows = await this.query<PauseRow>(
      `SELECT ${pauseColumns} FROM selfcare_pauses WHERE account = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [account, limit],
    );
    return rows.map(toPause);
  }

  /** One query for all accounts: the longest-lasting pause in force for each. */
  async activePauses(accounts: readonly string[], at: number): Promise<Map<string, Pause>> {
    if (accounts.length === 0) return new Map();
    const rows = await this.query<PauseRow>(
      `SELECT DISTINCT ON (account) ${pauseColumns} FROM selfcare_pauses
       WHERE account = ANY($1::text[]) AND ended_at IS NULL AND created_at <= $2 AND until > $2
       ORDER BY account, until DESC`,
      [[...new Set(accounts)], at],
    );
    return new Map(rows.map((row) => [row.account, toPause(row)]));
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.query(
      `INSERT INTO selfcare_audit (at, person_uid, target, action, old_value, new_value)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [
        entries.map((e) => e.at),
        entries.map((e) => e.personUid),
        entries.map((e) => e.target),
        entries.map((e) => e.action),
        entries.map((e) => e.oldValue ?? null),
        entries.map((e) => e.newValue ?? null),
      ],
    );
  }

  async audit(target: string, limit: number): Promise<AuditEntry[]> {
    const rows = await this.query<{
      at: number;
      person_uid: string;
      target: string;
      action: string;
      old_value: string | null;
      new_value: string | null;
    }>(
      `SELECT at, person_uid, target, action, old_value, new_value FROM selfcare_audit
       WHERE target = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      [target, limit],
    );
    return rows.map((row) => ({
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
    await this.schema();
    const { rowCount } = await this.pool.query(
      unsubscribeInsert((n) => `$${n}`),
      [key, stream, at, by],
    );
    const [row] = await this.query<UnsubscriptionRow>(
      `SELECT ${unsubscriptionColumns} FROM selfcare_unsubscriptions WHERE address = $1 AND stream = $2 AND ended_at IS NULL`,
      [key, stream],
    );
    return { unsubscription: toUnsubscription(row as UnsubscriptionRow), created: (rowCount ?? 0) > 0 };
  }

  async endUnsubscription(id: number, by: string, at: number): Promise<Unsubscription | undefined> {
    const [row] = await this.query<UnsubscriptionRow>(
      `UPDATE selfcare_unsubscriptions SET ended_at = $1, ended_by = $2 WHERE id = $3 AND ended_at IS NULL
       RETURNING ${unsubscriptionColumns}`,
      [at, by, id],
    );
    return row ? toUnsubscription(row) : undefined;
  }

  async activeUnsubscriptions(addresses: readonly string[]): Promise<Unsubscription[]> {
    if (addresses.length === 0) return [];
    const rows = await this.query<UnsubscriptionRow>(
      `SELECT ${unsubscriptionColumns} FROM selfcare_unsubscriptions
       WHERE address = ANY($1::text[]) AND ended_at IS NULL ORDER BY id`,
      [[...new Set(addresses.map((a) => a.toLowerCase()))]],
    );
    return rows.map(toUnsubscription);
  }

  async loginFailures(keys: readonly string[], since: number): Promise<Map<string, LoginFailures>> {
    const rows = await this.query<{ key: string; count: number; last: number }>(
      `SELECT key, COUNT(*)::int AS count, MAX(at) AS last FROM selfcare_login_failures
       WHERE key = ANY($1) AND at >= $2 GROUP BY key`,
      [[...new Set(keys)], since],
    );
    return new Map(rows.map((row) => [row.key, { count: row.count, last: Number(row.last) }]));
  }

  async addLoginFailure(keys: readonly string[], at: number): Promise<void> {
    await this.query("INSERT INTO selfcare_login_failures (key, at) SELECT unnest($1::text[]), $2", [
      [...keys],
      at,
    ]);
  }

  async clearLoginFailures(keys: readonly string[]): Promise<void> {
    await this.query("DELETE FROM selfcare_login_failures WHERE key = ANY($1)", [[...keys]]);
  }

  deleteLoginFailures(before: number): Promise<number> {
    return this.deleted("DELETE FROM selfcare_login_failures WHERE at < $1", [before]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
