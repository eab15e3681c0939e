import type { Migration, MigrationHistory } from "../store/migrations.js";

/**
 * The journal's versions are kept in a table of its own in either dialect, as it may live in its own
 * database or beside the outbox's (PostgreSQL) or the host history's (SQLite) tables.
 */
export const journalHistory = (migrations: readonly Migration[]): MigrationHistory => ({
  migrations,
  table: "journal_migrations",
  what: "the run journal's schema",
});

/** A finished backup run as the journal keeps it. */
export interface JournalRun {
  account: string;
  host: string;
  /** The id the client wrote (the same in `backupStarted.xml` and `backupEnded.xml`). */
  runId: string;
  /** Unknown when the start on record belongs to another run. */
  startedMs?: number;
  endedMs: number;
  success: boolean;
  clientVersion?: string;
}

/** An account's storage on a day the exporter collected it; the day itself says the exporter was there. */
export interface UsageDay {
  account: string;
  /** Days since the Unix epoch, UTC. */
  day: number;
  usedBytes?: number;
  quotaBytes?: number;
}

/** What writing the journal has cost so far, for the exporter's own metrics. */
export interface JournalStats {
  /** The store's size on disk as last measured (after each pruning), undefined before. */
  bytes: number | undefined;
  /** Time spent in the store's writes: on the exporter's thread for SQLite, until committed for PostgreSQL. */
  writeSeconds: number;
}

/** What the exporter writes; `recordRun` and `recordUsage` only queue, in memory. */
export interface JournalWriter {
  recordRun(run: JournalRun): void;
  /** The account's usage of the day `now` falls on; only the first record of a day (or one that knows more) is kept. */
  recordUsage(account: string, usage: { usedBytes?: number; quotaBytes?: number }, now: Date): void;
  /** Write what is queued; on failure it stays queued for the next attempt. */
  flush(): Promise<void>;
  /** Delete what is older than the retention, in small transactions. */
  prune(now: Date): Promise<void>;
  stats(): JournalStats;
  close(): Promise<void>;
}

/** What the portal reads; times in milliseconds, both ends included. */
export interface JournalReader {
  runs(account: string, sinceMs: number, untilMs: number): Promise<JournalRun[]>;
  usage(account: string, sinceDay: number, untilDay: number): Promise<UsageDay[]>;
  close(): Promise<void>;
}

/** A journal read where it is stored, which knows since when it records: digests count runs only inside that. */
export interface LocalJournalReader extends JournalReader {
  /** The first day the exporter recorded (days since the epoch, UTC); none before it wrote the journal. */
  firstDay(): Promise<number | undefined>;
}

export const DAY_MS = 86_400_000;

/** The UTC day a time falls on, in days since the Unix epoch. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);
