import type { AccountStatus } from "../../exporter/index.js";
import type { JournalRun } from "../../journal/index.js";

/** Where an account stands at digest time, worst first. */
export type Condition = "failing" | "warning" | "never" | "healthy";
export const conditions: readonly Condition[] = ["failing", "warning", "never", "healthy"];

/** What a digest remembers of its accounts, so the next one can say what changed (usage, runs). */
export interface Snapshot {
  /** When the state it was taken from was collected: the start of what the next digest counts. */
  atMs?: number;
  accounts: Record<string, { usedBytes?: number; runs: Record<string, number> }>;
}

export interface AccountLine {
  uid: string;
  customer?: string;
  condition: Condition;
  computers: number;
  /** The newest successful run of any of its computers. */
  lastSuccessMs?: number;
  usedRatio?: number;
  usedBytes?: number;
  quotaBytes?: number;
  /** Usage change since the previous digest, when there was one. */
  trendBytes?: number;
  /** Successful runs in the period (from the run journal), else since the previous digest, when there was one. */
  runs?: number;
  /** Failed runs in the period, when the run journal counted them. */
  failedRuns?: number;
  /** `host: identifier version` of each computer with a client older than the minimum. */
  outdated: string[];
}

export interface Digest {
  accounts: AccountLine[];
  counts: Record<Condition, number>;
  computers: number;
  runs?: number;
  failedRuns?: number;
  lastSuccessMs?: number;
}

/** An account's runs that ended in a period, by result. */
export interface RunCount {
  succeeded: number;
  failed: number;
}

/** Per account, the runs that ended in [startMs, endMs): a run ending at the period's end belongs to the next. */
export function runsInPeriod(
  runs: readonly JournalRun[],
  startMs: number,
  endMs: number,
): Map<string, RunCount> {
  const counts = new Map<string, RunCount>();
  for (const run of runs) {
    if (run.endedMs < startMs || run.endedMs >= endMs) continue;
    const count = counts.get(run.account) ?? { succeeded: 0, failed: 0 };
    if (run.success) count.succeeded += 1;
    else count.failed += 1;
    counts.set(run.account, count);
  }
  return counts;
}

const DAY_MS = 86_400_000;
const time = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
const threshold = (status: AccountStatus, name: keyof AccountStatus["settings"]): number =>
  Number(status.settings[name]?.value ?? 0);

/**
 * The same facts the alert rules look at, with the account's own thresholds: failing (failed or
 * interrupted runs at the threshold, missed runs, too long without success, unreadable client files),
 * warning (quota over its threshold, an outdated client), never used, or healthy.
 */
export function conditionOf(status: AccountStatus, nowMs: number): Condition {
  if (status.neverUsed) return "never";
  const failures = threshold(status, "failuresThreshold");
  const missed = threshold(status, "missedBackupsThreshold");
  const days = threshold(status, "missedDaysThreshold");
  const failing = status.hosts.some((h) => {
    const success = time(h.lastSuccess);
    return (
      (failures > 0 && h.consecutiveFailures >= failures) ||
      (missed > 0 && h.missedRuns >= missed) ||
      (days > 0 && !h.running && (success === undefined || nowMs - success >= days * DAY_MS)) ||
      h.metadataErrors > 0
    );
  });
  if (failing) return "failing";
  const { usedRatio, warningRatio } = status.quota;
  const overQuota = usedRatio !== undefined && warningRatio > 0 && usedRatio > warningRatio;
  return overQuota || status.hosts.some((h) => h.clientOutdated) ? "warning" : "healthy";
}

export const snapshotOf = (statuses: readonly AccountStatus[], atMs?: number): Snapshot => ({
  ...(atMs === undefined ? {} : { atMs }),
  accounts: Object.fromEntries(
    statuses.map((s) => [
      s.uid,
      {
        ...(s.quota.usedBytes === undefined ? {} : { usedBytes: s.quota.usedBytes }),
        runs: Object.fromEntries(s.hosts.map((h) => [h.host, h.successfulRuns])),
      },
    ]),
  ),
});

const sum = (values: readonly (number | undefined)[]): number | undefined =>
  values.some((v) => v === undefined) ? undefined : values.reduce<number>((a, b) => a + (b ?? 0), 0);

const newest = (values: readonly (number | undefined)[]): number | undefined => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
};

function accountLine(
  status: AccountStatus,
  previous: Snapshot["accounts"][string] | undefined,
  nowMs: number,
  customer: string | undefined,
  counted: RunCount | undefined,
): AccountLine {
  const { usedBytes, quotaBytes, usedRatio } = status.quota;
  // A counter lower than last time means the exporter's history was rebuilt: that host's runs are unknown.
  const counterRuns = previous
    ? sum(
        status.hosts.map((h) => {
          const before = previous.runs[h.host] ?? 0;
          return h.successfulRuns >= before ? h.successfulRuns - before : undefined;
        }),
      )
    : undefined;
  const line: AccountLine = {
    uid: status.uid,
    condition: conditionOf(status, nowMs),
    computers: status.hosts.length,
    outdated: status.hosts
      .filter((h) => h.clientOutdated)
      .map((h) => (h.client ? `${h.host}: ${h.client.identifier} ${h.client.version}` : h.host)),
  };
  const optional = {
    customer,
    lastSuccessMs: newest(status.hosts.map((h) => time(h.lastSuccess))),
    usedRatio,
    usedBytes,
    quotaBytes,
    trendBytes:
      usedBytes !== undefined && previous?.usedBytes !== undefined
        ? usedBytes - previous.usedBytes
        : undefined,
    runs: counted ? counted.succeeded : counterRuns,
    failedRuns: counted?.failed,
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) Object.assign(line, { [key]: value });
  return line;
}

/**
 * One digest over these accounts (a reseller's, or a customer's opted-in ones), worst first. With
 * `counted` (the run journal's counts over the period), runs are those; else the exporter's counters
 * since the previous digest.
 */
export function digestOf(
  statuses: readonly AccountStatus[],
  previous: Snapshot | undefined,
  nowMs: number,
  customerNames: ReadonlyMap<string, string> = new Map(),
  counted?: ReadonlyMap<string, RunCount>,
): Digest {
  const order = (c: Condition) => conditions.indexOf(c);
  const accounts = statuses
    // An account new since the previous digest counts its runs since the exporter first saw it.
    .map((s) =>
      accountLine(
        s,
        previous ? (previous.accounts[s.uid] ?? { runs: {} }) : undefined,
        nowMs,
        customerNames.get(s.uid),
        counted ? (counted.get(s.uid) ?? { succeeded: 0, failed: 0 }) : undefined,
      ),
    )
    .sort((a, b) => order(a.condition) - order(b.condition) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  const counts = Object.fromEntries(conditions.map((c) => [c, 0])) as Record<Condition, number>;
  for (const a of accounts) counts[a.condition] += 1;
  const digest: Digest = { accounts, counts, computers: accounts.reduce((n, a) => n + a.computers, 0) };
  const runs = previous || counted ? sum(accounts.map((a) => a.runs)) : undefined;
  if (runs !== undefined) digest.runs = runs;
  if (counted) digest.failedRuns = accounts.reduce((n, a) => n + (a.failedRuns ?? 0), 0);
  const last = newest(accounts.map((a) => a.lastSuccessMs));
  if (last !== undefined) digest.lastSuccessMs = last;
  return digest;
}
