import path from "node:path";
import type { BackupConfig, Config, HomePrefix } from "../config/index.js";
import type { Account } from "../directory/model.js";
import {
  type JournalRun,
  type JournalStats,
  type JournalWriter,
  openJournalWriter,
} from "../journal/index.js";
import type { Logger } from "../log.js";
import { HistoryStore, type HostHistory } from "./history.js";
import { type HostObservation, hostState } from "./host.js";
import type { AccountState, HostState } from "./model.js";
import { createObservers } from "./observer-pool.js";
import { createQuotaSource } from "./quota.js";
import { isUnsafeEntryName } from "./tree.js";

/** Reads every account's home into an AccountState; the exporter's only input from the backup server. */
export interface BackupReader {
  /** Once per collection, before the accounts: e.g. run repquota once. Rejects only when `signal` fired. */
  prepareCollection(now: Date, signal?: AbortSignal): Promise<void>;
  /** Never rejects: problems go into `state.errors` and the hosts' `errors`. */
  readAccount(account: Account, now: Date): Promise<AccountState>;
  /** The run journal's size and what writing it has cost. */
  journalStats(): JournalStats;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
/** The journal is pruned at most this often, in the background. */
const PRUNE_EVERY_MS = 3_600_000;

/** The journal's record of a host's finished run, as the history just counted it. */
function journalRun(account: string, observation: HostObservation): JournalRun | undefined {
  const { lastEnd, lastStart, client } = observation;
  if (!lastEnd) return undefined;
  const run: JournalRun = {
    account,
    host: observation.host,
    runId: lastEnd.id,
    endedMs: lastEnd.at.getTime(),
    success: lastEnd.success,
  };
  if (lastStart?.id === lastEnd.id && lastStart.at.getTime() <= lastEnd.at.getTime())
    run.startedMs = lastStart.at.getTime();
  if (client) run.clientVersion = client.version;
  return run;
}

/** True when `file` is `dir` or below it, compared by whole path components. */
const isWithin = (file: string, dir: string): boolean => {
  const relative = path.relative(dir, file);
  return relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
};

/** A homeDirectory as this host sees it: the longest matching `from` prefix replaced by its `to`. */
export function rewriteHome(home: string, prefixes: readonly HomePrefix[]): string {
  let chosen: HomePrefix | undefined;
  for (const prefix of prefixes)
    if (isWithin(home, prefix.from) && (!chosen || prefix.from.length > chosen.from.length)) chosen = prefix;
  return chosen ? path.join(chosen.to, path.relative(chosen.from, home)) : home;
}

/** The account's home as the exporter reads it: homeDirectory (rewritten by `homePrefixes`), else `<root>/<uid>`. */
export const homeOf = (account: Account, backup: Pick<BackupConfig, "root" | "homePrefixes">): string =>
  account.home === undefined
    ? path.join(backup.root, account.uid)
    : rewriteHome(account.home, backup.homePrefixes);

/**
 * Never used: the account is older than `neverUsedAfterDays` and no host ever ran (no client file, no run or
 * success in the history, no last success in the directory). Without createdAt the age is unknown: not flagged.
 * A host whose client files exist but cannot be read has uploaded something: it is unreadable, not unused.
 */
export function isNeverUsed(
  account: Account,
  hosts: readonly HostState[],
  everRanByHistory: boolean,
  now: Date,
  neverUsedAfterDays: number,
): boolean {
  if (!account.createdAt) return false;
  if (now.getTime() - account.createdAt.getTime() <= neverUsedAfterDays * DAY_MS) return false;
  if (everRanByHistory || account.lastSuccessfulBackup.size > 0) return false;
  return hosts.every(
    (host) => !host.lastStart && !host.lastEnd && !host.lastSuccess && host.errors.length === 0,
  );
}

const emptyState = (account: Account, error: string): AccountState => ({
  account,
  hosts: [],
  quota: {},
  neverUsed: false,
  errors: [error],
});

export function createBackupReader(config: Config, logger: Logger): BackupReader {
  const backup = config.backup;
  const history = HistoryStore.open(config.history.path, logger);
  const journal: JournalWriter = openJournalWriter(config.history, logger);
  let prunedAtMs = -Infinity;
  const quota = createQuotaSource(backup.quota, logger);
  const observers = createObservers({ ...backup, timeoutMs: backup.accountTimeoutMs }, backup.readerThreads);
  let collections = 0;

  async function readAccount(account: Account, now: Date): Promise<AccountState> {
    if (account.home === undefined && isUnsafeEntryName(Buffer.from(account.uid)))
      return emptyState(
        account,
        `uid ${JSON.stringify(account.uid)} cannot name a home below ${backup.root}`,
      );
    const home = homeOf(account, backup);
    const observed = await observers.observe(account.uid, home, now);
    // No such home on this server: with several servers, the account is another one's.
    if (backup.onlyAccountsWithHome && observed.homeMissing)
      return { account, hosts: [], quota: {}, neverUsed: false, errors: [], elsewhere: true };
    const errors = [...observed.errors];
    const seen = observed.hosts.map((observation) => ({
      host: observation.host,
      run: observation.finishedRun,
      seedLastSuccess: account.lastSuccessfulBackup.get(observation.host),
    }));
    const recorded = history.observeAccount(account.uid, seen, now);
    for (const position of recorded.counted) {
      const run = journalRun(account.uid, observed.hosts[position] as HostObservation);
      if (run) journal.recordRun(run);
    }
    const hosts = observed.hosts.map((observation, i) =>
      hostState(observation, recorded.hosts[i] as HostHistory, now, backup, seen[i]?.seedLastSuccess),
    );
    const measured = await quota.quotaFor(account, home, now);
    if (measured.error) errors.push(measured.error);
    journal.recordUsage(account.uid, measured.quota, now);
    return {
      account,
      hosts,
      quota: measured.quota,
      neverUsed: isNeverUsed(account, hosts, recorded.everRan, now, backup.neverUsedAfterDays),
      errors,
    };
  }

  return {
    async prepareCollection(now, signal) {
      try {
        history.flush();
        // The journal writes and prunes in the background: a collection never waits for it.
        void journal.flush();
        if (now.getTime() - prunedAtMs >= PRUNE_EVERY_MS) {
          prunedAtMs = now.getTime();
          void journal.prune(now);
        }
        // Now and then every file is looked at, also in folders that did not change: one rewritten in place.
        observers.nextCollection(collections % backup.recheckEveryCollections !== 0);
        collections += 1;
        await quota.prepare(now, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        logger.error(
          { reason: error instanceof Error ? error.message : String(error) },
          "preparing the collection failed",
        );
      }
    },
    async readAccount(account, now) {
      try {
        return await readAccount(account, now);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        logger.error({ account: account.uid, reason }, "reading the account failed");
        return emptyState(account, `reading the account failed: ${reason}`);
      }
    },
    journalStats: () => journal.stats(),
    async close() {
      quota.close();
      history.close();
      await journal.close();
      await observers.close();
    },
  };
}
