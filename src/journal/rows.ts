import type { JournalRun, UsageDay } from "./model.js";

/**
 * A run as both dialects select it, an array in column order (cheaper than an object per row):
 * `success` is 0/1 in SQLite and a boolean in PostgreSQL.
 */
export type RunRow = [
  host: string,
  runId: string,
  startedMs: number | null,
  endedMs: number,
  success: number | boolean,
  clientVersion: string | null,
];
export type UsageRow = [day: number, usedBytes: number | null, quotaBytes: number | null];

/** The columns of RunRow and UsageRow, for the SELECTs of both dialects. */
export const RUN_COLUMNS = "host, run_id, started_ms, ended_ms, success, client_version";
export const USAGE_COLUMNS = "day, used_bytes, quota_bytes";

export const runOf = (
  account: string,
  [host, runId, startedMs, endedMs, success, clientVersion]: RunRow,
): JournalRun => {
  const run: JournalRun = { account, host, runId, endedMs, success: success === true || success === 1 };
  if (startedMs !== null) run.startedMs = startedMs;
  if (clientVersion !== null) run.clientVersion = clientVersion;
  return run;
};

export const usageOf = (account: string, [day, usedBytes, quotaBytes]: UsageRow): UsageDay => {
  const usage: UsageDay = { account, day };
  if (usedBytes !== null) usage.usedBytes = usedBytes;
  if (quotaBytes !== null) usage.quotaBytes = quotaBytes;
  return usage;
};
