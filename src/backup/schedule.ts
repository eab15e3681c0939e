import type { Schedule } from "./model.js";

type CustomSchedule = Extract<Schedule, { type: "custom" }>;

const MINUTE = 60_000;
const DAY = 86_400_000;

/** ISO weekday (1 = Monday) of a day counted from 1970-01-01, a Thursday. */
const isoWeekday = (day: number) => ((((day + 3) % 7) + 7) % 7) + 1;

/** Days in [0, day) whose weekday is planned; exact for negative days as well (weeks repeat). */
function plannedDaysBefore(schedule: CustomSchedule, day: number): number {
  const weeks = Math.floor(day / 7);
  const rest = day - weeks * 7;
  let count = weeks * schedule.weekdays.length;
  for (let d = 0; d < rest; d += 1) if (schedule.weekdays.includes(isoWeekday(d))) count += 1;
  return count;
}

/**
 * Planned times at or before `ms`, counted from an arbitrary fixed origin. The schedule's wall clock is
 * UTC shifted by the fixed offset it was written with, so days are plain 24 h blocks (no daylight saving).
 */
function plannedUpTo(schedule: CustomSchedule, ms: number): number {
  const local = ms + schedule.utcOffsetMinutes * MINUTE;
  const day = Math.floor(local / DAY);
  const slot = (schedule.hour * 60 + schedule.minute) * MINUTE;
  const today = schedule.weekdays.includes(isoWeekday(day)) && local - day * DAY >= slot ? 1 : 0;
  return plannedDaysBefore(schedule, day) + today;
}

const slotOn = (schedule: CustomSchedule, day: number) =>
  day * DAY + (schedule.hour * 60 + schedule.minute - schedule.utcOffsetMinutes) * MINUTE;

/** The first planned time strictly after `after`, if the schedule has fixed times. */
export function nextPlanned(schedule: Schedule, after: Date): Date | undefined {
  if (schedule.type !== "custom" || schedule.weekdays.length === 0) return undefined;
  const from = after.getTime();
  const firstDay = Math.floor((from + schedule.utcOffsetMinutes * MINUTE) / DAY) - 1;
  for (let day = firstDay; day <= firstDay + 9; day += 1) {
    const slot = slotOn(schedule, day);
    if (slot > from && schedule.weekdays.includes(isoWeekday(day))) return new Date(slot);
  }
  return undefined;
}

/** Planned times in (from, to], at most `limit` of them (earliest first). */
export function plannedTimes(schedule: Schedule, from: Date, to: Date, limit = 1000): Date[] {
  const times: Date[] = [];
  let next = nextPlanned(schedule, from);
  while (next !== undefined && next.getTime() <= to.getTime() && times.length < limit) {
    times.push(next);
    next = nextPlanned(schedule, next);
  }
  return times;
}

/**
 * Planned times after the last run started and at least `graceSeconds` before now, capped. Computed by
 * counting, so a host silent for years costs the same as one that ran yesterday.
 */
export function countMissed(
  schedule: Schedule,
  lastStart: Date | undefined,
  now: Date,
  graceSeconds: number,
  cap: number,
): number {
  if (schedule.type !== "custom" || lastStart === undefined) return 0;
  const from = lastStart.getTime();
  const until = now.getTime() - graceSeconds * 1000;
  if (!Number.isFinite(from) || !Number.isFinite(until) || until <= from) return 0;
  return Math.min(plannedUpTo(schedule, until) - plannedUpTo(schedule, from), cap);
}
