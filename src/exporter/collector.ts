import { performance } from "node:perf_hooks";
import type { AccountState } from "../backup/model.js";
import type { Account, Directory, Reseller } from "../directory/model.js";
import type { Logger } from "../log.js";
import { type CompressedBody, compressBody } from "./body.js";
import type { Family } from "./families.js";
import { renderText } from "./render-text.js";
import { type AccountSample, accountSample, type ExportedSettings, reuseUnchanged } from "./sample.js";
import type { ErrorStage, SelfMetrics } from "./self-metrics.js";

/** What the collector needs of the directory. */
export type AccountDirectory = Pick<Directory, "eachAccountPage" | "getResellers">;

/** What the collector needs of the backup reader (`readAccount` never rejects by contract; a rejection is still survived). */
export interface AccountStateReader {
  prepareCollection(now: Date, signal?: AbortSignal): Promise<void>;
  readAccount(account: Account, now: Date): Promise<AccountState>;
}

/** Effective settings of an account given its resellers (in the account's order). */
export type SettingsResolver = (account: Account, resellers: Reseller[]) => ExportedSettings;

export interface CollectorOptions {
  directory: AccountDirectory;
  reader: AccountStateReader;
  settings: SettingsResolver;
  metrics: SelfMetrics;
  logger: Logger;
  concurrency: number;
  /** The metric families to render (default: all, the deprecated names included). */
  families?: readonly Family[];
  now?: () => Date;
}

/** What a reconfiguration may replace between two collections. */
export type CollectorSources = Pick<
  CollectorOptions,
  "directory" | "reader" | "settings" | "concurrency" | "families"
>;

/** The last good collection: compressed per-account metrics and what they cover. */
export interface Snapshot {
  body: CompressedBody;
  accounts: number;
  hosts: number;
  /** When this collection started. */
  collectedAt: Date;
  /** The samples by account uid, for the JSON state. */
  samples: ReadonlyMap<string, AccountSample>;
}

/** The stages that fail a whole collection (a failed account only counts). */
type FailedStage = Exclude<ErrorStage, "account">;

class CollectionError extends Error {
  constructor(
    readonly stage: FailedStage,
    cause: unknown,
  ) {
    super(`${stage}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

const stageOf = async <T>(stage: FailedStage, work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    throw new CollectionError(stage, error);
  }
};

/**
 * At most `limit` tasks in flight, across pages: `start` waits for a free place and starts a task without
 * waiting for it. With one limit per page, each page drained to nothing before the next one started, and
 * the readers idled at every page's end.
 */
class InFlight {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #tasks = new Set<Promise<void>>();
  constructor(private readonly limit: number) {}

  /** Once a place is free, start `task` (which must not reject); rejects instead once `signal` has fired. */
  async start(task: () => Promise<void>, signal: AbortSignal): Promise<void> {
    while (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    signal.throwIfAborted();
    this.#running += 1;
    const running = task().finally(() => {
      this.#running -= 1;
      this.#tasks.delete(running);
      this.#waiting.shift()?.();
    });
    this.#tasks.add(running);
  }

  /** Resolves once every task started has ended. */
  async drained(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
  }
}

/** Resolves after the event loop has served what is waiting (scrapes). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `work`, or a rejection as soon as `signal` fires (the work itself may go on; its outcome is dropped). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** The rendered chunks, stopping with the abort reason once `signal` fires. */
function* abortable(chunks: Iterable<string>, signal: AbortSignal): Iterable<string> {
  for (const chunk of chunks) {
    signal.throwIfAborted();
    yield chunk;
  }
}

/**
 * Collects every active account in the background, one collection at a time, and keeps the last good
 * snapshot rendered and compressed; scrapes only read `snapshot`.
 */
export class Collector {
  #snapshot: Snapshot | undefined;
  #running: Promise<boolean> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #intervalSeconds = 60;
  #lastStart = 0;
  #sleeping = false;
  /** Reconfigurations wait for the collection in progress; the next collection waits for them. */
  #between: Promise<void> = Promise.resolve();
  /** Aborts the collection in progress when the exporter stops. */
  readonly #stopping = new AbortController();
  readonly #now: () => Date;

  constructor(private options: CollectorOptions) {
    this.#now = options.now ?? (() => new Date());
  }

  /** The last good collection, undefined before the first one succeeded. */
  get snapshot(): Snapshot | undefined {
    return this.#snapshot;
  }

  /** Collect now, or join the collection in progress; resolves true when it succeeded. */
  collect(): Promise<boolean> {
    this.#running ??= this.#between
      .then(() => this.#collect())
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** Collect at once and then every `intervalSeconds` (measured from each start; an overrun starts the next at once). */
  start(intervalSeconds: number): void {
    this.#intervalSeconds = intervalSeconds;
    void this.#loop();
  }

  readonly #loop = async () => {
    this.#sleeping = false;
    this.#lastStart = performance.now();
    await this.collect();
    if (!this.#stopped) this.#sleep();
  };

  #sleep(): void {
    this.#sleeping = true;
    const wait = Math.max(0, this.#intervalSeconds * 1000 - (performance.now() - this.#lastStart));
    this.#timer = setTimeout(this.#loop, wait);
  }

  /** Collections start this far apart from now on; a wait in progress is shortened or lengthened to match. */
  set intervalSeconds(seconds: number) {
    this.#intervalSeconds = seconds;
    if (!this.#sleeping || this.#stopped) return;
    clearTimeout(this.#timer);
    this.#sleep();
  }

  /**
   * Replace sources between two collections: `change` runs once the collection in progress has ended and
   * before the next one starts. When it rejects, the sources stay as they were.
   */
  reconfigure(change: (current: CollectorSources) => Promise<Partial<CollectorSources>>): Promise<void> {
    const inProgress = this.#running;
    const previous = this.#between;
    const done = (async () => {
      await previous;
      await inProgress;
      this.options = { ...this.options, ...(await change(this.options)) };
    })();
    this.#between = done.catch(() => {});
    return done;
  }

  /**
   * Stop the loop and abort a collection in progress: no further account is read, the accounts in flight
   * end, and the last good snapshot stays as it is (served until the server closes).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#stopping.abort(new Error("the exporter is stopping"));
    await this.#running;
  }

  async #collect(): Promise<boolean> {
    const { metrics, logger } = this.options;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const now = this.#now();
    const signal = this.#stopping.signal;
    try {
      const snapshot = await this.#gather(now, signal);
      this.#snapshot = snapshot;
      metrics.up.set(1);
      metrics.lastSuccess.set(this.#now().getTime() / 1000);
      metrics.accounts.set(snapshot.accounts);
      metrics.hosts.set(snapshot.hosts);
      const cpu = process.cpuUsage(cpuBefore);
      logger.info(
        {
          accounts: snapshot.accounts,
          hosts: snapshot.hosts,
          bytes: snapshot.body.bytes,
          seconds: (performance.now() - started) / 1000,
          // The whole process, reader threads included: beside `seconds`, how much of a collection is waiting.
          cpuSeconds: (cpu.user + cpu.system) / 1e6,
        },
        "collection done",
      );
      return true;
    } catch (error) {
      if (signal.aborted) {
        logger.info(
          { seconds: (performance.now() - started) / 1000 },
          "collection aborted: the exporter is stopping",
        );
        return false;
      }
      const stage = error instanceof CollectionError ? error.stage : "render";
      metrics.up.set(0);
      metrics.errors.inc({ stage });
      logger.warn(
        { stage, err: error instanceof CollectionError ? error.cause : error },
        "collection failed; serving the last good data",
      );
      return false;
    } finally {
      metrics.duration.set((performance.now() - started) / 1000);
    }
  }

  async #gather(now: Date, signal: AbortSignal): Promise<Snapshot> {
    const { directory, reader, settings, metrics, logger, concurrency } = this.options;
    await stageOf("backup", () => untilAborted(reader.prepareCollection(now, signal), signal));
    const samples: AccountSample[] = [];
    const previous = this.#snapshot?.samples;
    const failed: string[] = [];
    // A uid listed twice (two entries, or two bases) would make duplicate series, which Prometheus rejects.
    const seen = new Set<string>();
    const resellers = new Map<string, Reseller>();
    const askedResellers = new Set<string>();
    const readAccount = async (account: Account) => {
      try {
        const state = await reader.readAccount(account, now);
        if (state.elsewhere) return;
        const accountResellers = account.resellerUids.flatMap((uid) => resellers.get(uid) ?? []);
        const sample = accountSample(state, settings(account, accountResellers));
        samples.push(reuseUnchanged(previous?.get(account.uid), sample));
        if (state.errors.length > 0) {
          failed.push(account.uid);
          logger.debug({ account: account.uid, errors: state.errors }, "account read with errors");
        }
      } catch (error) {
        failed.push(account.uid);
        logger.debug({ account: account.uid, err: error }, "account skipped");
      }
    };
    const readPage = async (page: Account[]) => {
      const accounts = page.filter((account) => {
        if (!account.active || seen.has(account.uid)) return false;
        seen.add(account.uid);
        return true;
      });
      const missing = [...new Set(accounts.flatMap((account) => account.resellerUids))].filter(
        (uid) => !askedResellers.has(uid),
      );
      for (const uid of missing) askedResellers.add(uid);
      if (missing.length > 0)
        for (const [uid, reseller] of await stageOf("directory", () =>
          untilAborted(directory.getResellers(missing), signal),
        ))
          resellers.set(uid, reseller);
      for (const account of accounts) await inFlight.start(() => readAccount(account), signal);
    };
    // Each page is read while the next one is searched, and only a page or two of accounts are held.
    const inFlight = new InFlight(concurrency);
    let reading: Promise<void> = Promise.resolve();
    const listing = stageOf("directory", () =>
      untilAborted(
        directory.eachAccountPage(async (page) => {
          await reading;
          reading = readPage(page);
          reading.catch(() => undefined);
        }, signal),
        signal,
      ),
    );
    try {
      await listing;
    } finally {
      await reading.catch(() => undefined);
      await inFlight.drained();
    }
    await reading;
    if (failed.length > 0) {
      metrics.errors.inc({ stage: "account" }, failed.length);
      logger.warn({ count: failed.length, accounts: failed.slice(0, 10) }, "accounts with errors");
    }
    samples.sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    // Sorting, rendering and indexing 100,000 samples take tens of milliseconds each: scrapes get a turn
    // in between instead of waiting for all of them.
    await nextTurn();
    const hosts = samples.reduce((sum, s) => sum + s.hosts.length, 0);
    const body = await stageOf("render", () =>
      compressBody(abortable(renderText(samples, now, undefined, this.options.families), signal)),
    );
    await nextTurn();
    const byAccount = new Map(samples.map((sample) => [sample.uid, sample]));
    return { body, accounts: samples.length, hosts, collectedAt: now, samples: byAccount };
  }
}
