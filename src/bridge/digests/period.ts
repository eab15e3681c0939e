import { zonedMidnight } from "../../selfcare/time.js";

/** A digest period: the reseller's week (ISO, Monday to Monday) or the customer's calendar month, in UTC. */
export interface Period {
  kind: "week" | "month";
  /** `2026-W48`, `2026-11`: part of the digest's unique key. */
  key: string;
  startMs: number;
  endMs: number;
}

const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, "0");

/** ISO 8601 week number and its year (the year of the week's Thursday). */
function isoWeek(mondayMs: number): { year: number; week: number } {
  const thursday = new Date(mondayMs + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const firstThursday =
    Date.UTC(year, 0, 1) + ((4 - new Date(Date.UTC(year, 0, 1)).getUTCDay() + 7) % 7) * DAY_MS;
  return { year, week: 1 + Math.round((thursday.getTime() - firstThursday) / (7 * DAY_MS)) };
}

/** The last complete week or month before `nowMs`. */
export function lastCompletePeriod(kind: Period["kind"], nowMs: number): Period {
  const now = new Date(nowMs);
  if (kind === "month") {
    const endMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    return {
      kind,
      key: `${start.getUTCFullYear()}-${pad(start.getUTCMonth() + 1)}`,
      startMs: start.getTime(),
      endMs,
    };
  }
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const endMs = today - ((now.getUTCDay() + 6) % 7) * DAY_MS;
  const startMs = endMs - 7 * DAY_MS;
  const { year, week } = isoWeek(startMs);
  return { kind, key: `${year}-W${pad(week)}`, startMs, endMs };
}

/**
 * The period's calendar days as the recipient lives them: from midnight of its first day in their zone
 * to midnight after its last, so "23–29 November" counts what ran on those days for them.
 */
export const zonedBounds = (period: Period, timeZone: string): { startMs: number; endMs: number } => ({
  startMs: zonedMidnight(period.startMs, timeZone),
  endMs: zonedMidnight(period.endMs, timeZone),
});
