import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Migration } from "../store/migrations.js";
import { migrateSqlite } from "../store/sqlite.js";
import { type JournalRun, journalHistory, type LocalJournalReader, type UsageDay } from "./model.js";
import type { JournalSink } from "./recorder.js";
import { RUN_COLUMNS, type RunRow, runOf, USAGE_COLUMNS, type UsageRow, usageOf } from "./rows.js";

/** The journal's own numbered migrations in the SQLite history file, recorded in `journal_migrations`. */
export const sqliteJournalMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "runs and daily usage",
    sql: `
CREATE TABLE journal_runs (
  account TEXT NOT NULL,
  host TEXT NOT NULL,
  run_id TEXT NOT NULL,
  started_ms INTEGER,
  ended_ms INTEGER NOT NULL,
  success INTEGER NOT NULL,
  client_version TEXT
);
CREATE UNIQUE INDEX journal_runs_key ON journal_runs (account, host, run_id);
CREATE INDEX journal_runs_account_ended ON journal_runs (account, ended_ms);
CREATE INDEX journal_runs_ended ON journal_runs (ended_ms);
CREATE TABLE journal_usage (
  account TEXT NOT NULL,
  day INTEGER NOT NULL,
  used_bytes INTEGER,
  quota_bytes INTEGER,
  PRIMARY KEY (account, day)
);
CREATE INDEX journal_usage_day ON journal_usage (day);`,
  },
  {
    // One B-tree per table instead of three: a run is stored in its account's order of end times, so an
    // account page reads one contiguous range and a write touches two trees, not four. A host's run is
    // the one that ended at that instant (the history counts a run by id and end date; a client that
    // reused an id would have lost runs under the old key).
    version: 2,
    name: "runs and usage clustered by account",
    sql: `
CREATE TABLE journal_runs_by_account (
  account TEXT NOT NULL,
  ended_ms INTEGER NOT NULL,
  host TEXT NOT NULL,
  run_id TEXT NOT NULL,
  started_ms INTEGER,
  success INTEGER NOT NULL,
  client_version TEXT,
  PRIMARY KEY (account, ended_ms, host)
) WITHOUT ROWID;
INSERT OR IGNORE INTO journal_runs_by_account
  SELECT account, ended_ms, host, run_id, started_ms, success, client_version FROM journal_runs
  ORDER BY account, ended_ms, host, run_id;
DROP TABLE journal_runs;
ALTER TABLE journal_runs_by_account RENAME TO journal_runs;
CREATE INDEX journal_runs_ended ON journal_runs (ended_ms);
CREATE TABLE journal_usage_by_account (
  account TEXT NOT NULL,
  day INTEGER NOT NULL,
  used_bytes INTEGER,
  quota_bytes INTEGER,
  PRIMARY KEY (account, day)
) WITHOUT ROWID;
INSERT INTO journal_usage_by_account SELECT account, day, used_bytes, quota_bytes FROM journal_usage ORDER BY account, day;
DROP TABLE journal_usage;
ALTER TABLE journal_usage_by_account RENAME TO journal_usage;
CREATE INDEX journal_usage_day ON journal_usage (day);`,
  },
];

/** The journal's tables in the exporter's SQLite history file (WAL: the portal reads while it writes). */
export class SqliteJournal implements JournalSink {
  private readonly insertRun: Database.Statement;
  private readonly upsertUsage: Database.Statement;
  private readonly deleteRuns: Database.Statement;
  private readonly deleteUsage: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertRun = db.prepare(`INSERT INTO journal_runs
      (account, host, run_id, started_ms, ended_ms, success, client_version) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (account, ended_ms, host) DO NOTHING`);
    this.upsertUsage = db.prepare(`INSERT INTO journal_usage (account, day, used_bytes, quota_bytes)
      VALUES (?, ?, ?, ?) ON CONFLICT (account, day) DO UPDATE SET
      used_bytes = COALESCE(journal_usage.used_bytes, excluded.used_bytes),
      quota_bytes = COALESCE(journal_usage.quota_bytes, excluded.quota_bytes)`);
    this.deleteRuns = db.prepare(`DELETE FROM journal_runs WHERE (account, ended_ms, host) IN
      (SELECT account, ended_ms, host FROM journal_runs WHERE ended_ms < ? LIMIT ?)`);
    this.deleteUsage = db.prepare(`DELETE FROM journal_usage WHERE (account, day) IN
      (SELECT account, day FROM journal_usage WHERE day < ? LIMIT ?)`);
  }

  /** Open the file (created with its folder), WAL, migrated. */
  static open(file: string): SqliteJournal {
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      migrateSqlite(db, true, journalHistory(sqliteJournalMigrations));
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteJournal(db);
  }

  async write(runs: readonly JournalRun[], usage: readonly UsageDay[]): Promise<void> {
    this.db.transaction(() => {
      for (const run of runs)
        this.insertRun.run(
          run.account,
          run.host,
          run.runId,
          run.startedMs ?? null,
          run.endedMs,
          run.success ? 1 : 0,
          run.clientVersion ?? null,
        );
      for (const day of usage)
        this.upsertUsage.run(day.account, day.day, day.usedBytes ?? null, day.quotaBytes ?? null);
    })();
  }

  async pruneBatch(beforeMs: number, beforeDay: number, limit: number): Promise<number> {
    const runs = this.deleteRuns.run(beforeMs, limit).changes;
    const usage = this.deleteUsage.run(beforeDay, limit).changes;
    return Math.max(runs, usage);
  }

  async sizeBytes(): Promise<number> {
    const pages = this.db.pragma("page_count", { simple: true }) as number;
    const free = this.db.pragma("freelist_count", { simple: true }) as number;
    return (pages - free) * (this.db.pragma("page_size", { simple: true }) as number);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** The reader's statements, prepared once per opened file: every account page and journal request runs them. */
const readerStatements = (db: Database.Database) => ({
  runs: db
    .prepare<[string, number, number], RunRow>(
      `SELECT ${RUN_COLUMNS} FROM journal_runs WHERE account = ? AND ended_ms BETWEEN ? AND ? ORDER BY ended_ms, host`,
    )
    .raw(true),
  usage: db
    .prepare<[string, number, number], UsageRow>(
      `SELECT ${USAGE_COLUMNS} FROM journal_usage WHERE account = ? AND day BETWEEN ? AND ? ORDER BY day`,
    )
    .raw(true),
  firstDay: db.prepare<[], { day: number | null }>("SELECT MIN(day) AS day FROM journal_usage"),
});

/** The portal's read-only view of the file; before the exporter created the journal it is empty. */
export class SqliteJournalReader implements LocalJournalReader {
  private db: Database.Database | undefined;
  private statements: ReturnType<typeof readerStatements> | undefined;

  constructor(private readonly file: string) {}

  async runs(account: string, sinceMs: number, untilMs: number): Promise<JournalRun[]> {
    const rows = this.open()?.runs.all(account, sinceMs, untilMs) ?? [];
    return rows.map((row) => runOf(account, row));
  }

  async usage(account: string, sinceDay: number, untilDay: number): Promise<UsageDay[]> {
    const rows = this.open()?.usage.all(account, sinceDay, untilDay) ?? [];
    return rows.map((row) => usageOf(account, row));
  }

  async firstDay(): Promise<number | undefined> {
    return this.open()?.firstDay.get()?.day ?? undefined;
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.statements = undefined;
  }

  /** Opened at the first read that finds the journal's tables; until then nothing is cached. */
  private open(): ReturnType<typeof readerStatements> | undefined {
    if (this.statements) return this.statements;
    if (!existsSync(this.file)) return undefined;
    const db = new Database(this.file, { readonly: true, fileMustExist: true });
    const table = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'journal_runs'")
      .get();
    if (!table) {
      db.close();
      return undefined;
    }
    this.db = db;
    this.statements = readerStatements(db);
    return this.statements;
  }
}
