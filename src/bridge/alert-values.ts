/**
 * The alert values a mail turns into numbers and dates, and the ranges in which it can: the webhook
 * drops what falls outside (with a note), and rendering reads values only through these helpers, so
 * a value stored before this check existed cannot break a mail either.
 */

/** From the Unix epoch to 2200: every instant here formats in every language and zone, offsets included. */
const earliestMs = Date.UTC(1970, 0, 1);
const latestMs = Date.UTC(2200, 0, 1);

const usableMs = (ms: number): boolean => Number.isFinite(ms) && ms >= earliestMs && ms < latestMs;

/** RFC 3339 as Alertmanager writes it (Go's time.Time): four-digit year, `Z` or a numeric offset. */
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go's zero time: Alertmanager's "not set" for endsAt. */
export const isZeroTime = (text: string): boolean => text.startsWith("0001-01-01T00:00:00");

/** An alert's startsAt or endsAt as a Date a mail can show; undefined when unset or unusable. */
export function alertTime(text: string | undefined): Date | undefined {
  if (!text || isZeroTime(text) || !rfc3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return usableMs(ms) ? new Date(ms) : undefined;
}

type Kind = "bytes" | "ratio" | "count" | "unixSeconds";

/** The annotations the templates read as numbers (the stack's rules write them with printf). */
export const numericAnnotations: Readonly<Record<string, Kind>> = {
  used_bytes: "bytes",
  quota_bytes: "bytes",
  used_ratio: "ratio",
  warning_ratio: "ratio",
  missed_schedules: "count",
  threshold: "count",
  days_threshold: "count",
  consecutive_failures: "count",
  metadata_errors: "count",
  last_success_timestamp: "unixSeconds",
  next_schedule_timestamp: "unixSeconds",
  created_timestamp: "unixSeconds",
  full_timestamp: "unixSeconds",
};

const fits: Record<Kind, (value: number) => boolean> = {
  bytes: (v) => v >= 0 && v <= Number.MAX_SAFE_INTEGER,
  ratio: (v) => v >= 0 && v <= 1000,
  count: (v) => Number.isInteger(v) && v >= 0 && v <= 1_000_000_000,
  // 0 is "never"; anything else must be a date a mail can show.
  unixSeconds: (v) => v === 0 || usableMs(v * 1000),
};

const ranges: Record<Kind, string> = {
  bytes: "a byte count",
  ratio: "a ratio between 0 and 1000",
  count: "a whole number up to 10^9",
  unixSeconds: "Unix seconds between 1970 and 2200",
};

/** A numeric annotation's value; undefined when absent, empty or out of its range. */
export function annotationNumber(annotations: Record<string, string>, key: string): number | undefined {
  const text = annotations[key];
  const kind = numericAnnotations[key];
  if (text === undefined || text.trim() === "" || kind === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && fits[kind](value) ? value : undefined;
}

/** Unix seconds as a Date; `0`, absent and unusable values stay absent. */
export function annotationInstant(annotations: Record<string, string>, key: string): Date | undefined {
  const seconds = annotationNumber(annotations, key);
  return seconds !== undefined && seconds > 0 ? new Date(seconds * 1000) : undefined;
}

/** Why a numeric annotation cannot be used, or undefined when it can (or is absent). */
export function annotationProblem(annotations: Record<string, string>, key: string): string | undefined {
  const text = annotations[key];
  const kind = numericAnnotations[key];
  if (text === undefined || text.trim() === "" || kind === undefined) return undefined;
  return annotationNumber(annotations, key) === undefined ? `expected ${ranges[kind]}` : undefined;
}
