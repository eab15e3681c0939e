import { fail, ok, type Result } from "./result.js";

/**
 * A date as a client wrote it (local wall-clock time plus offset), after recovering the clients' offset quirks
 * and cross-checking it with the file's modification time (the server's clock).
 */
export interface ClientDate {
  /** The instant to use: the client's date, or the file's mtime where the client's clock is implausible. */
  at: Date;
  /** The instant the client's text denotes after offset recovery (equal to `at` unless skewed). */
  clientAt: Date;
  /** Offset east of UTC in minutes after recovery. */
  offsetMinutes: number;
  /** Quirks recovered, for logs and tests: `zero-offset`, `wrapped-offset`, `midnight-offset`. */
  corrections: OffsetCorrection[];
  /** The client's date is later than the file's arrival (or now) by more than the tolerance. */
  clockSkewed: boolean;
}

export type OffsetCorrection = "zero-offset" | "wrapped-offset" | "midnight-offset";

export interface ClientDateCheck {
  /** The server's current time: a client date beyond now + tolerance is in the future. */
  now?: Date;
  /** Default 6 h (`backup.clockSkewToleranceSeconds`). */
  toleranceSeconds?: number;
}

const MINUTE = 60_000;
/** Offsets on earth lie between UTC-12 and UTC+14. */
const MIN_OFFSET = -12 * 60;
const MAX_OFFSET = 14 * 60;
/** Sepiola writes `2^32 s + offset` for negative offsets, rounded to minutes. */
const WRAP_MINUTES = 2 ** 32 / 60;
const DAY_MINUTES = 24 * 60;

const DATE_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|([+-])(\d{1,7}):(\d{2}))$/;

const inRange = (offset: number) => offset >= MIN_OFFSET && offset <= MAX_OFFSET;

interface OffsetReading {
  /** Plausible offsets in minutes east of UTC, the written one first where it is itself plausible. */
  candidates: number[];
  correction?: OffsetCorrection;
}

/** Interpret an offset as written by either client; no candidates means it cannot be recovered. */
function readOffset(sign: string, hoursText: string, minutesText: string): OffsetReading {
  const hours = Number(hoursText);
  const minutes = Number(minutesText);
  if (minutes > 59) return { candidates: [] };
  const magnitude = hours * 60 + minutes;
  const written = sign === "-" ? -magnitude : magnitude;
  if (written === 0)
    return { candidates: [0], ...(sign === "-" ? { correction: "zero-offset" as const } : {}) };
  if (sign === "+" && magnitude > DAY_MINUTES) {
    const recovered = Math.round(magnitude - WRAP_MINUTES);
    return recovered < 0 && recovered >= MIN_OFFSET
      ? { candidates: [recovered], correction: "wrapped-offset" }
      : { candidates: [] };
  }
  // The Perl client subtracts hours without wrapping the day: around midnight UTC+1 reads `-23:00`.
  const shifted = [written + DAY_MINUTES, written - DAY_MINUTES].filter(inRange);
  if (inRange(written)) return { candidates: [written, ...shifted] };
  return shifted.length > 0 ? { candidates: shifted, correction: "midnight-offset" } : { candidates: [] };
}

/** Parse an offset such as `+01:00`, `-00:00` or a quirky one; for `scheduler.xml`'s `timezone`. */
export function parseUtcOffset(text: string): Result<number> {
  if (typeof text !== "string") return fail("offset is not text");
  const match = /^([+-])(\d{1,7}):(\d{2})$/.exec(text.trim());
  if (!match) return fail(`offset ${JSON.stringify(text.slice(0, 40))} is not of the form +hh:mm`);
  const [, sign = "+", hours = "", minutes = ""] = match;
  const reading = readOffset(sign, hours, minutes);
  const [offset] = reading.candidates;
  return offset === undefined ? fail(`offset ${text.trim()} is not a plausible UTC offset`) : ok(offset);
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Parse a client date (`2026-11-23T19:30:02+01:00`) and recover the offset quirks. With the file's mtime the
 * date is cross-checked: a client date later than the mtime (or now) by more than the tolerance cannot be
 * true, since a file cannot be written after it arrived; then the mtime is used and the clock is flagged.
 * An earlier client date is accepted: files are copied and restored, and a git checkout sets every mtime
 * to the checkout time.
 */
export function parseClientDate(text: string, mtime?: Date, check: ClientDateCheck = {}): Result<ClientDate> {
  if (typeof text !== "string") return fail("date is not text");
  const trimmed = text.trim();
  const match = DATE_PATTERN.exec(trimmed);
  if (!match)
    return fail(`date ${JSON.stringify(trimmed.slice(0, 60))} is not of the form YYYY-MM-DDThh:mm:ss±hh:mm`);
  const [, y = "", mo = "", d = "", h = "", mi = "", s = "", zone = "", sign = "+", oh = "0", om = "0"] =
    match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  )
    return fail(`date ${trimmed} does not exist`);
  const reading: OffsetReading = zone === "Z" ? { candidates: [0] } : readOffset(sign, oh, om);
  if (reading.candidates.length === 0) return fail(`date ${trimmed} has an implausible UTC offset`);
  const wallClock = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  const instantFor = (offset: number) => wallClock - offset * MINUTE;

  let offsetMinutes = reading.candidates[0] as number;
  let corrections: OffsetCorrection[] = reading.correction ? [reading.correction] : [];
  const toleranceMs = (check.toleranceSeconds ?? 6 * 3600) * 1000;
  const limit = latestPlausible(mtime, check.now, toleranceMs);
  // A written offset that is itself plausible may still be the Perl midnight quirk (UTC+14 written as
  // -10:00, UTC-10 as +14:00); only the arrival time can tell, so switch only when the written reading does
  // not fit it and another does.
  const arrival = mtime !== undefined && Number.isFinite(mtime.getTime()) ? mtime.getTime() : undefined;
  const fits = (offset: number) => {
    const instant = instantFor(offset);
    return (
      (limit === undefined || instant <= limit) &&
      (arrival === undefined || Math.abs(instant - arrival) <= toleranceMs)
    );
  };
  if (limit !== undefined && reading.candidates.length > 1 && !fits(offsetMinutes)) {
    const better = reading.candidates.find(fits);
    if (better !== undefined) {
      offsetMinutes = better;
      corrections = ["midnight-offset"];
    }
  }
  const clientAt = new Date(instantFor(offsetMinutes));
  if (Number.isNaN(clientAt.getTime())) return fail(`date ${trimmed} is out of range`);
  const clockSkewed = limit !== undefined && clientAt.getTime() > limit;
  const at = clockSkewed
    ? new Date(Math.min(mtime?.getTime() ?? Infinity, check.now?.getTime() ?? Infinity))
    : clientAt;
  return ok({ at, clientAt, offsetMinutes, corrections, clockSkewed });
}

function latestPlausible(
  mtime: Date | undefined,
  now: Date | undefined,
  toleranceMs: number,
): number | undefined {
  const bounds = [mtime, now]
    .map((date) => date?.getTime())
    .filter((ms): ms is number => ms !== undefined && Number.isFinite(ms));
  return bounds.length > 0 ? Math.min(...bounds) + toleranceMs : undefined;
}
