import { DAY_MS, type JournalRun, type UsageDay } from "../journal/index.js";
import { forecastFull } from "../journal/trend.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** A run as the API shows it: RFC 3339 times, the duration in seconds when the start is known. */
export const runJson = (run: JournalRun) => ({
  host: run.host,
  runId: run.runId,
  ...(run.startedMs !== undefined ? { startedAt: iso(run.startedMs) } : {}),
  endedAt: iso(run.endedMs),
  ...(run.startedMs !== undefined
    ? { durationSeconds: Math.round((run.endedMs - run.startedMs) / 1000) }
    : {}),
  result: run.success ? "success" : "failed",
  ...(run.clientVersion !== undefined ? { clientVersion: run.clientVersion } : {}),
});

/** The usage days (RFC 3339 full dates, UTC) and, from the last 30 of them, the forecast. */
export function usageJson(usage: readonly UsageDay[], untilMs: number) {
  const quotaBytes = usage.findLast((u) => u.quotaBytes !== undefined)?.quotaBytes;
  const forecast = forecastFull(usage, quotaBytes, untilMs);
  return {
    days: usage.map((u) => ({
      date: iso(u.day * DAY_MS).slice(0, 10),
      ...(u.usedBytes !== undefined ? { usedBytes: u.usedBytes } : {}),
      ...(u.quotaBytes !== undefined ? { quotaBytes: u.quotaBytes } : {}),
    })),
    ...(forecast
      ? { forecast: { bytesPerDay: Math.round(forecast.bytesPerDay), fullAt: iso(forecast.fullAtMs) } }
      : {}),
  };
}
