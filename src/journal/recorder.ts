import type { Logger } from "../log.js";
import {
  DAY_MS,
  dayOf,
  type JournalRun,
  type JournalStats,
  type JournalWriter,
  type UsageDay,
} from "./model.js";

/** One dialect's writes: a batch in one transaction, and deletes of at most `limit` rows each. */
export interface JournalSink {
  write(runs: readonly JournalRun[], usage: readonly UsageDay[]): Promise<void>;
  /** Delete up to `limit` runs that ended before `beforeMs` and usage days before `beforeDay`; the rows deleted. */
  pruneBatch(beforeMs: number, beforeDay: number, limit: number): Promise<number>;
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Queued writes go out in one transaction per batch: a collection only appends to arrays. A larger batch
 * rewrites the trees' inner pages less often (5,000 rows cost half the CPU of five batches of 1,000 when
 * every run of 50,000 accounts is new) and holds SQLite's writer, on the exporter's thread, about 0.1 s.
 */
const BATCH_SIZE = 5000;
const FLUSH_DELAY_MS = 250;
/** Rows per delete: each is a short transaction, so the collection's writes never wait long behind one. */
const PRUNE_BATCH = 1000;
/**
 * While the store is unreachable the queue is bounded; the oldest entries are dropped first (and logged),
 * a batch's worth at a time, so a long outage does not move the whole queue for every row recorded.
 */
const MAX_QUEUED = 200_000;
const RETRY_DELAY_MS = 5_000;

/**
 * The exporter's side of the journal, the same for every dialect: runs and usage days are queued in
 * memory and written in batches after the collection's hot work, off its path; a usage day is queued
 * once per account and day (again only when it learns the used bytes it lacked).
 */
export class JournalRecorder implements JournalWriter {
  private runs: JournalRun[] = [];
  private usage: UsageDay[] = [];
  /** Per account, the day last queued, doubled, plus 1 when its used bytes were known. */
  private readonly usageQueued = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private measured: number | undefined;
  private writeSeconds = 0;
  private dropped = 0;
  /** After a failed write, no write before this time (a batch filling up does not hammer a dead store). */
  private retryAtMs = 0;

  constructor(
    private readonly sink: JournalSink,
    private readonly retentionDays: number,
    private readonly logger: Logger,
  ) {}

  recordRun(run: JournalRun): void {
    this.runs.push(run);
    this.queued();
  }

  recordUsage(account: string, usage: { usedBytes?: number; quotaBytes?: number }, now: Date): void {
    const day = dayOf(now.getTime());
    const mark = day * 2 + (usage.usedBytes === undefined ? 0 : 1);
    const previous = this.usageQueued.get(account);
    if (previous !== undefined && previous >= mark) return;
    this.usageQueued.set(account, mark);
    const entry: UsageDay = { account, day };
    if (usage.usedBytes !== undefined) entry.usedBytes = usage.usedBytes;
    if (usage.quotaBytes !== undefined) entry.quotaBytes = usage.quotaBytes;
    this.usage.push(entry);
    this.queued();
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // One write at a time: a flush during a write waits for it and then writes what came meanwhile.
    const previous = this.writing ?? Promise.resolve();
    const next = previous.then(() => this.writeQueued());
    this.writing = next;
    return next.finally(() => {
      if (this.writing !== next) return;
      this.writing = undefined;
      // What was queued during the write: written now if a batch is full, else after the delay.
      if (this.runs.length + this.usage.length > 0) this.queued();
    });
  }

  async prune(now: Date): Promise<void> {
    const beforeMs = now.getTime() - this.retentionDays * DAY_MS;
    let deleted = 0;
    try {
      for (;;) {
        const batch = await this.sink.pruneBatch(beforeMs, dayOf(beforeMs), PRUNE_BATCH);
        deleted += batch;
        if (batch < PRUNE_BATCH) break;
      }
      this.measured = await this.sink.sizeBytes();
    } catch (error) {
      this.logger.warn({ reason: reasonOf(error), deleted }, "pruning the run journal failed; will retry");
      return;
    }
    if (deleted > 0) this.logger.info({ deleted, retentionDays: this.retentionDays }, "run journal pruned");
  }

  stats(): JournalStats {
    return { bytes: this.measured, writeSeconds: this.writeSeconds };
  }

  async close(): Promise<void> {
    await this.flush();
    await this.sink.close();
  }

  private queued(): void {
    const queued = this.runs.length + this.usage.length;
    if (queued > MAX_QUEUED) {
      const excess = queued - MAX_QUEUED + BATCH_SIZE;
      const fromRuns = Math.min(excess, this.runs.length);
      this.runs.splice(0, fromRuns);
      this.usage.splice(0, excess - fromRuns);
      this.dropped += excess;
    }
    // A write in progress looks at the queue when it ends: one flush, not one per row recorded meanwhile.
    if (this.writing) return;
    if (queued >= BATCH_SIZE && Date.now() >= this.retryAtMs) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  private async writeQueued(): Promise<void> {
    if (this.runs.length === 0 && this.usage.length === 0) return;
    const runs = this.runs;
    const usage = this.usage;
    this.runs = [];
    this.usage = [];
    const started = performance.now();
    try {
      await this.sink.write(runs, usage);
    } catch (error) {
      // Back in front of what came meanwhile; the unique keys make a repeated write harmless.
      this.runs = runs.concat(this.runs);
      this.usage = usage.concat(this.usage);
      this.logger.error(
        { reason: reasonOf(error), queued: this.runs.length + this.usage.length },
        "cannot write the run journal; will retry",
      );
      this.retryAtMs = Date.now() + RETRY_DELAY_MS;
      if (!this.timer) this.timer = setTimeout(() => void this.flush(), RETRY_DELAY_MS).unref();
      return;
    } finally {
      this.writeSeconds += (performance.now() - started) / 1000;
    }
    if (this.dropped > 0) {
      this.logger.warn(
        { dropped: this.dropped },
        "run journal entries dropped while the store was unreachable",
      );
      this.dropped = 0;
    }
  }
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
