import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "../log.js";

/** What the monitor remembers of one host between collections and restarts. */
export interface HostHistory {
  /** Key of the last finished run counted (run id plus end date as written), so no run counts twice. */
  lastRunKey?: string;
  consecutiveFailures: number;
  /** Successful runs counted since the monitor first saw the host (a counter: digests take differences). */
  successfulRuns: number;
  lastSuccess?: Date;
  /** When the monitor first saw the host: a host that never ran counts missed runs from here. */
  firstSeen: Date;
}

/** A host of an account as a collection saw it (see HistoryStore.observeAccount). */
export interface SeenHost {
  host: string;
  run: FinishedRun | undefined;
  /** The directory's last success of the host, for a host seen for the first time. */
  seedLastSuccess?: Date | undefined;
}

/** The histories of the hosts seen, in their order, and whether any host of the account ever ran. */
export interface AccountHistory {
  hosts: HostHistory[];
  everRan: boolean;
  /** Positions in `seen` of the hosts whose finished run was counted now, for the first time. */
  counted: number[];
}

/** A finished run as read from `backupEnded.xml`. */
export interface FinishedRun {
  key: string;
  success: boolean;
  endedAt: Date;
}

interface Row {
  lastRunKey: string | undefined;
  consecutiveFailures: number;
  successfulRuns: number;
  lastSuccessMs: number | undefined;
  firstSeenMs: number;
}

/** A stored row as the select reads it: an array in column order, cheaper to build than an object per row. */
type StoredRow = [
  host: string,
  lastRunKey: string | null,
  consecutiveFailures: number,
  successfulRuns: number,
  lastSuccessMs: number | null,
  firstSeenMs: number,
];

/** Writes are collected and written in one transaction per batch; a crash only loses unflushed work, and
 * the runs behind it are still on disk to be counted again. */
const BATCH_SIZE = 1000;
const FLUSH_DELAY_MS = 250;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS host_history (
  account TEXT NOT NULL,
  host TEXT NOT NULL,
  last_run_key TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  successful_runs INTEGER NOT NULL DEFAULT 0,
  last_success_ms INTEGER,
  first_seen_ms INTEGER NOT NULL,
  PRIMARY KEY (account, host)
) WITHOUT ROWID`;

function toHistory(row: Row): HostHistory {
  const history: HostHistory = {
    consecutiveFailures: row.consecutiveFailures,
    successfulRuns: row.successfulRuns,
    firstSeen: new Date(row.firstSeenMs),
  };
  if (row.lastRunKey !== undefined) history.lastRunKey = row.lastRunKey;
  if (row.lastSuccessMs !== undefined) history.lastSuccess = new Date(row.lastSuccessMs);
  return history;
}

/**
 * The per-host run history in SQLite (WAL). Rows are looked up with prepared statements when a host is
 * observed (a few microseconds each) rather than mirrored in memory, and only changed rows are written;
 * changes not yet written are held per account and take precedence over the file.
 */
export class HistoryStore {
  private readonly pending = new Map<string, Map<string, Row>>();
  private pendingRows = 0;
  private readonly upsert: Database.Statement;
  private readonly select: Database.Statement<[string], StoredRow>;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly logger: Logger,
  ) {
    this.upsert = db.prepare(`
      INSERT INTO host_history (account, host, last_run_key, consecutive_failures, successful_runs, last_success_ms,
        first_seen_ms)
      VALUES (@account, @host, @lastRunKey, @consecutiveFailures, @successfulRuns, @lastSuccessMs, @firstSeenMs)
      ON CONFLICT (account, host) DO UPDATE SET last_run_key = excluded.last_run_key,
        consecutive_failures = excluded.consecutive_failures, successful_runs = excluded.successful_runs,
        last_success_ms = excluded.last_success_ms`);
    // One query per account, not one per host and one more to tell whether it ever ran.
    this.select = db
      .prepare<[string], StoredRow>(
        "SELECT host, last_run_key, consecutive_failures, successful_runs, last_success_ms, first_seen_ms FROM host_history WHERE account = ?",
      )
      .raw(true);
  }

  /** Open (or create) the store; a corrupt file is moved aside and the store rebuilt empty. */
  static open(file: string, logger: Logger): HistoryStore {
    if (file !== ":memory:") {
      mkdirSync(path.dirname(file), { recursive: true });
      if (!existsSync(file)) logger.info({ path: file }, "history store does not exist yet; creating it");
    }
    try {
      return new HistoryStore(initialise(file), logger);
    } catch (error) {
      const movedTo = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      logger.error(
        { path: file, movedTo, reason: error instanceof Error ? error.message : String(error) },
        "history store is corrupt or unreadable: moved aside and rebuilt empty; consecutive failures restart " +
          "at 0 and last successes are seeded from the directory again",
      );
      renameSync(file, movedTo);
      for (const suffix of ["-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
      return new HistoryStore(initialise(file), logger);
    }
  }

  /**
   * Record what was seen of an account's hosts now and return their histories, in their order, from one
   * read of the account's rows. A run is counted once, by its key; a host seen for the first time starts
   * with the directory's last success (`seedLastSuccess`), if any. `everRan`: whether any host of the
   * account, present or gone, ever finished a run or has a known success.
   */
  observeAccount(account: string, seen: readonly SeenHost[], now: Date): AccountHistory {
    const rows = this.rowsOf(account);
    const counted: number[] = [];
    const hosts = seen.map(({ host, run, seedLastSuccess }, position) => {
      let row = rows.get(host);
      let changed = false;
      if (!row) {
        row = {
          lastRunKey: undefined,
          consecutiveFailures: 0,
          successfulRuns: 0,
          lastSuccessMs: seedLastSuccess?.getTime(),
          firstSeenMs: now.getTime(),
        };
        rows.set(host, row);
        changed = true;
      }
      if (run && run.key !== row.lastRunKey) {
        row.lastRunKey = run.key;
        counted.push(position);
        if (run.success) {
          row.consecutiveFailures = 0;
          row.successfulRuns += 1;
          row.lastSuccessMs = Math.max(row.lastSuccessMs ?? -Infinity, run.endedAt.getTime());
        } else {
          row.consecutiveFailures += 1;
        }
        changed = true;
      }
      if (changed) this.markChanged(account, host, row);
      return toHistory(row);
    });
    const everRan = [...rows.values()].some(
      (row) => row.lastRunKey !== undefined || row.lastSuccessMs !== undefined,
    );
    return { hosts, everRan, counted };
  }

  /** Write pending changes in one transaction; on failure they stay pending for the next attempt. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pendingRows === 0) return;
    try {
      this.db.transaction(() => {
        for (const [account, hosts] of this.pending)
          for (const [host, row] of hosts)
            this.upsert.run({
              account,
              host,
              lastRunKey: row.lastRunKey ?? null,
              consecutiveFailures: row.consecutiveFailures,
              successfulRuns: row.successfulRuns,
              lastSuccessMs: row.lastSuccessMs ?? null,
              firstSeenMs: row.firstSeenMs,
            });
      })();
      this.pending.clear();
      this.pendingRows = 0;
    } catch (error) {
      this.logger.error(
        { reason: error instanceof Error ? error.message : String(error), pending: this.pendingRows },
        "cannot write the history store; will retry",
      );
    }
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  /** The account's rows: those written, then the changes not written yet over them. */
  private rowsOf(account: string): Map<string, Row> {
    const rows = new Map<string, Row>();
    for (const [
      host,
      lastRunKey,
      consecutiveFailures,
      successfulRuns,
      lastSuccessMs,
      firstSeenMs,
    ] of this.select.all(account))
      rows.set(host, {
        lastRunKey: lastRunKey ?? undefined,
        consecutiveFailures,
        successfulRuns,
        lastSuccessMs: lastSuccessMs ?? undefined,
        firstSeenMs,
      });
    for (const [host, row] of this.pending.get(account) ?? []) rows.set(host, row);
    return rows;
  }

  private markChanged(account: string, host: string, row: Row): void {
    let hosts = this.pending.get(account);
    if (!hosts) {
      hosts = new Map();
      this.pending.set(account, hosts);
    }
    if (!hosts.has(host)) this.pendingRows += 1;
    hosts.set(host, row);
    if (this.pendingRows >= BATCH_SIZE) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS).unref();
  }
}

function initialise(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new Error(`integrity check failed: ${String(check)}`);
    db.exec(SCHEMA);
    const columns = db.pragma("table_info(host_history)") as { name: string }[];
    // Stores written before run counting: their hosts count from now on.
    if (!columns.some((c) => c.name === "successful_runs"))
      db.exec("ALTER TABLE host_history ADD COLUMN successful_runs INTEGER NOT NULL DEFAULT 0");
    db.prepare(
      "SELECT account, host, last_run_key, consecutive_failures, successful_runs, last_success_ms, first_seen_ms FROM host_history LIMIT 1",
    ).all();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
