import { parseUtcOffset } from "../backup/dates.js";
import type { Schedule } from "../backup/model.js";
import { plannedTimes } from "../backup/schedule.js";
import { DAY_MS, dayOf, type JournalRun, type UsageDay } from "./model.js";

/** Where the storage is heading: growth per day and when, at that rate, the quota is reached. */
export interface Forecast {
  bytesPerDay: number;
  /** When the used bytes reach the quota at this rate; `now` when they already have. */
  fullAtMs: number;
}

/** Days of usage the trend is drawn from (the alert rule's `predict_linear` window is the same). */
const TREND_DAYS = 30;
/** A fill date further away than this is no forecast: the usage is, for anyone's purposes, flat. */
const HORIZON_DAYS = 730;

/**
 * The least-squares line through the used bytes of the last `TREND_DAYS` days, extended to the quota.
 * None without a known quota, with fewer than three days of usage, or when usage is flat or falling.
 */
export function forecastFull(usage: readonly UsageDay[], quotaBytes: number | undefined, nowMs: number) {
  if (quotaBytes === undefined || quotaBytes <= 0) return undefined;
  const today = dayOf(nowMs);
  const points = usage.filter(
    (u): u is UsageDay & { usedBytes: number } => u.usedBytes !== undefined && u.day > today - TREND_DAYS,
  );
  if (points.length < 3) return undefined;
  // Days relative to today keep the sums small and exact enough.
  const n = points.length;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.day - today;
    sy += p.usedBytes;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    const dx = p.day - today - mx;
    sxy += dx * (p.usedBytes - my);
    sxx += dx * dx;
  }
  if (sxx === 0) return undefined;
  const bytesPerDay = sxy / sxx;
  if (!(bytesPerDay > 0)) return undefined;
  const usedToday = my + bytesPerDay * (0 - mx);
  const daysLeft = (quotaBytes - usedToday) / bytesPerDay;
  if (daysLeft > HORIZON_DAYS) return undefined;
  // The line is drawn through days (midnight UTC); a day ends a day later than it starts.
  const fullAtMs = Math.max(nowMs, (today + daysLeft) * DAY_MS);
  return { bytesPerDay, fullAtMs } satisfies Forecast;
}

/** One day of a computer's timeline. `idle`: nothing planned and nothing ran. */
export type DayState = "succeeded" | "failed" | "missed" | "running" | "unknown" | "idle";

export interface TimelineDay {
  day: number;
  state: DayState;
}

/** The exporter's schedule labels (`m h * * dow`, `+hh:mm`) as the schedule they came from. */
export function scheduleFromLabels(labels: { type: string; cron: string; utcOffset: string }) {
  if (labels.type !== "custom") return undefined;
  const match = /^(\d+) (\d+) \* \* ([\d,*]+)$/.exec(labels.cron);
  const offset = parseUtcOffset(labels.utcOffset);
  if (!match || !offset.ok) return undefined;
  const [, minute = "0", hour = "0", days = "*"] = match;
  const weekdays = days === "*" ? [1, 2, 3, 4, 5, 6, 7] : days.split(",").map((d) => Number(d) || 7);
  return {
    type: "custom",
    minute: Number(minute),
    hour: Number(hour),
    weekdays,
    utcOffsetMinutes: offset.value,
  } satisfies Schedule;
}

/**
 * A computer's last `days` days, oldest first. A day with runs shows its last run's result; a planned
 * day without a run is missed when the exporter collected the account that day (`seenDays`), unknown
 * when it did not; today's planned run still ahead, or a run in progress, is not missed.
 */
export function hostTimeline(input: {
  runs: readonly JournalRun[];
  schedule: Schedule | undefined;
  seenDays: ReadonlySet<number>;
  running: boolean;
  nowMs: number;
  days: number;
}): TimelineDay[] {
  const today = dayOf(input.nowMs);
  const first = today - input.days + 1;
  const lastResult = new Map<number, boolean>();
  for (const run of [...input.runs].sort((a, b) => a.endedMs - b.endedMs))
    lastResult.set(dayOf(run.startedMs ?? run.endedMs), run.success);
  const planned = new Set(
    input.schedule
      ? plannedTimes(input.schedule, new Date(first * DAY_MS - 1), new Date(input.nowMs)).map((t) =>
          dayOf(t.getTime()),
        )
      : [],
  );
  const timeline: TimelineDay[] = [];
  for (let day = first; day <= today; day++) {
    const result = lastResult.get(day);
    let state: DayState;
    if (day === today && input.running) state = "running";
    else if (result !== undefined) state = result ? "succeeded" : "failed";
    else if (!input.seenDays.has(day)) state = "unknown";
    else state = planned.has(day) && day < today ? "missed" : "idle";
    timeline.push({ day, state });
  }
  return timeline;
}
