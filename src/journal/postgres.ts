import type pg from "pg";
import { createPool } from "../bridge/postgres.js";
import type { Logger } from "../log.js";
import type { Migration } from "../store/migrations.js";
import { untilDone } from "../store/migrations.js";
import { migratePostgres } from "../store/postgres.js";
import { type JournalRun, journalHistory, type LocalJournalReader, type UsageDay } from "./model.js";
import type { JournalSink } from "./recorder.js";
import { RUN_COLUMNS, type RunRow, runOf, USAGE_COLUMNS, type UsageRow, usageOf } from "./rows.js";

/** The journal's numbered migrations in PostgreSQL, recorded in `journal_migrations`. */
export const postgresJournalMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "runs and daily usage",
    sql: `
CREATE TABLE journal_runs (
  account TEXT NOT NULL,
  host TEXT NOT NULL,
  run_id TEXT NOT NULL,
  started_ms BIGINT,
  ended_ms BIGINT NOT NULL,
  success BOOLEAN NOT NULL,
  client_version TEXT,
  PRIMARY KEY (account, host, run_id)
);
CREATE INDEX journal_runs_account_ended ON journal_runs (account, ended_ms);
CREATE INDEX journal_runs_ended ON journal_runs (ended_ms);
CREATE TABLE journal_usage (
  account TEXT NOT NULL,
  day INTEGER NOT NULL,
  used_bytes BIGINT,
  quota_bytes BIGINT,
  PRIMARY KEY (account, day)
);
CREATE INDEX journal_usage_day ON journal_usage (day);`,
  },
  {
    // As in SQLite: a host's run is the one that ended at that instant, and the key in the account's order
    // of end times serves the account page, so the (account, ended) index is no longer needed.
    version: 2,
    name: "runs keyed by account, end and host",
    sql: `
DELETE FROM journal_runs a USING journal_runs b
  WHERE a.account = b.account AND a.ended_ms = b.ended_ms AND a.host = b.host AND a.run_id > b.run_id;
ALTER TABLE journal_runs DROP CONSTRAINT journal_runs_pkey;
ALTER TABLE journal_runs ADD PRIMARY KEY (account, ended_ms, host);
DROP INDEX journal_runs_account_ended;`,
  },
];

/** Under the store's one advisory lock: exporters and portals starting together migrate once. */
const postgresJournalHistory = journalHistory(postgresJournalMigrations);

/**
 * The journal in PostgreSQL, shared by the exporters that write it and every portal that reads it. The
 * schema is migrated before the first statement; a failed migration (server down) is tried again at the
 * next use, never remembered.
 */
export class PostgresJournal implements JournalSink, LocalJournalReader {
  private readonly pool: pg.Pool;
  private readonly ready: () => Promise<unknown>;

  constructor(url: string, logger?: Logger) {
    this.pool = createPool({ url, poolSize: 2 }, logger);
    this.ready = untilDone(() => migratePostgres(this.pool, true, postgresJournalHistory));
  }

  async write(runs: readonly JournalRun[], usage: readonly UsageDay[]): Promise<void> {
    await this.ready();
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // One statement per table and batch: arrays unnested server-side, not a round trip per row.
      if (runs.length > 0)
        await client.query(
          `INSERT INTO journal_runs (account, host, run_id, started_ms, ended_ms, success, client_version)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::boolean[], $7::text[])
           ON CONFLICT (account, ended_ms, host) DO NOTHING`,
          [
            runs.map((r) => r.account),
            runs.map((r) => r.host),
            runs.map((r) => r.runId),
            runs.map((r) => r.startedMs ?? null),
            runs.map((r) => r.endedMs),
            runs.map((r) => r.success),
            runs.map((r) => r.clientVersion ?? null),
          ],
        );
      if (usage.length > 0)
        await client.query(
          `INSERT INTO journal_usage AS u (account, day, used_bytes, quota_bytes)
           SELECT DISTINCT ON (account, day) * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[])
             AS t(account, day, used_bytes, quota_bytes)
           ORDER BY account, day, used_bytes IS NULL
           ON CONFLICT (account, day) DO UPDATE SET
             used_bytes = COALESCE(u.used_bytes, excluded.used_bytes),
             quota_bytes = COALESCE(u.quota_bytes, excluded.quota_bytes)`,
          [
            usage.map((u) => u.account),
            usage.map((u) => u.day),
            usage.map((u) => u.usedBytes ?? null),
            usage.map((u) => u.quotaBytes ?? null),
          ],
        );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async pruneBatch(beforeMs: number, beforeDay: number, limit: number): Promise<number> {
    await this.ready();
    const runs = await this.pool.query(
      "DELETE FROM journal_runs WHERE ctid IN (SELECT ctid FROM journal_runs WHERE ended_ms < $1 LIMIT $2)",
      [beforeMs, limit],
    );
    const usage = await this.pool.query(
      "DELETE FROM journal_usage WHERE ctid IN (SELECT ctid FROM journal_usage WHERE day < $1 LIMIT $2)",
      [beforeDay, limit],
    );
    return Math.max(runs.rowCount ?? 0, usage.rowCount ?? 0);
  }

  async sizeBytes(): Promise<number> {
    await this.ready();
    const result = await this.pool.query<{ bytes: number }>(
      "SELECT (pg_total_relation_size('journal_runs') + pg_total_relation_size('journal_usage'))::bigint AS bytes",
    );
    return result.rows[0]?.bytes ?? 0;
  }

  async runs(account: string, sinceMs: number, untilMs: number): Promise<JournalRun[]> {
    await this.ready();
    const result = await this.pool.query<RunRow>({
      text: `SELECT ${RUN_COLUMNS} FROM journal_runs
        WHERE account = $1 AND ended_ms BETWEEN $2 AND $3 ORDER BY ended_ms, host`,
      values: [account, sinceMs, untilMs],
      rowMode: "array",
    });
    return result.rows.map((row) => runOf(account, row));
  }

  async usage(account: string, sinceDay: number, untilDay: number): Promise<UsageDay[]> {
    await this.ready();
    const result = await this.pool.query<UsageRow>({
      text: `SELECT ${USAGE_COLUMNS} FROM journal_usage WHERE account = $1 AND day BETWEEN $2 AND $3 ORDER BY day`,
      values: [account, sinceDay, untilDay],
      rowMode: "array",
    });
    return result.rows.map((row) => usageOf(account, row));
  }

  async firstDay(): Promise<number | undefined> {
    await this.ready();
    const result = await this.pool.query<{ day: number | null }>("SELECT MIN(day) AS day FROM journal_usage");
    return result.rows[0]?.day ?? undefined;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
