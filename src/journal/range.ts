import type { Result } from "../backup/result.js";
import { DAY_MS } from "./model.js";

/** RFC 3339 date-time: a full date, a time, and `Z` or a numeric offset. */
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** The range a `since`/`until` query asks for when it leaves them out: the last 90 days up to now. */
const DEFAULT_DAYS = 90;

/** `since` and `until` of a journal query in milliseconds, or why they cannot be used. */
export function journalRange(
  query: Record<string, unknown>,
  nowMs: number,
): Result<{ sinceMs: number; untilMs: number }> {
  const time = (name: "since" | "until"): Result<number | undefined> => {
    const value = query[name];
    if (value === undefined) return { ok: true, value: undefined };
    if (typeof value !== "string") return { ok: false, error: `${name} must be given once` };
    const ms = Date.parse(value);
    if (!rfc3339.test(value) || !Number.isFinite(ms))
      return { ok: false, error: `${name} must be an RFC 3339 time such as 2026-11-01T00:00:00Z` };
    return { ok: true, value: ms };
  };
  const since = time("since");
  if (!since.ok) return since;
  const until = time("until");
  if (!until.ok) return until;
  const untilMs = until.value ?? nowMs;
  const sinceMs = since.value ?? untilMs - DEFAULT_DAYS * DAY_MS;
  if (sinceMs > untilMs) return { ok: false, error: "since must not be after until" };
  return { ok: true, value: { sinceMs, untilMs } };
}
