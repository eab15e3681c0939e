import { isTimeZone, type Language } from "../config/index.js";

/**
 * Times as a person reads them: in their zone (sstTimeZoneOffset holds an IANA name or a fixed offset
 * such as `+01:00`, which Node 20's Intl does not accept, so offsets are applied by hand).
 */

const fixedOffset = /^([+-])(\d{2}):?(\d{2})$/;

/** The zone a person's pages use: theirs when it is one the runtime knows, else the fallback. */
export const personZone = (written: string | undefined, fallback: string): string =>
  written !== undefined && isTimeZone(written.trim()) ? written.trim() : fallback;

const offsetParts = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC of a zone at an instant. */
export function offsetMinutes(timeZone: string, at: number): number {
  const fixed = fixedOffset.exec(timeZone);
  if (fixed) return (fixed[1] === "-" ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]));
  let format = offsetParts.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    offsetParts.set(timeZone, format);
  }
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    Number(format.formatToParts(new Date(at)).find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(
    part("year"),
    part("month") - 1,
    part("day"),
    part("hour"),
    part("minute"),
    part("second"),
  );
  return Math.round((wall - Math.floor(at / 1000) * 1000) / 60_000);
}

/** The calendar day (`2026-12-13`) of an instant in a zone. */
export const dayIn = (at: number, timeZone: string): string =>
  new Date(at + offsetMinutes(timeZone, at) * 60_000).toISOString().slice(0, 10);

/**
 * The last second of a calendar day in a zone: a pause "until 13.12." holds until 23:59:59 of
 * that day where the person lives (the offset is looked up twice, so a day with a clock change ends right).
 */
export const endOfDay = (day: string, timeZone: string): Date =>
  new Date(zonedMidnight(Date.parse(`${day}T00:00:00Z`) + 86_400_000, timeZone) - 1000);

/**
 * Midnight starting a calendar day where the person lives, from that day's midnight in UTC (the offset
 * is looked up twice: a clock change that night).
 */
export function zonedMidnight(utcMidnightMs: number, timeZone: string): number {
  const guess = utcMidnightMs - offsetMinutes(timeZone, utcMidnightMs) * 60_000;
  return utcMidnightMs - offsetMinutes(timeZone, guess) * 60_000;
}

export const locales: Record<Language, string> = { en: "en-GB", de: "de-CH", fr: "fr-CH" };

const relativeUnits: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** Dates, times and numbers as people of the language write them, in the person's zone. */
export function formats(language: Language, timeZone: string) {
  const locale = locales[language];
  const fixed = fixedOffset.test(timeZone);
  // A fixed offset: shift the instant and format it as UTC wall time.
  const zone = fixed ? "UTC" : timeZone;
  const shift = (at: number) => (fixed ? at + offsetMinutes(timeZone, at) * 60_000 : at);
  const dateTime = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: zone,
  });
  const longDate = new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: zone,
  });
  // The journal's days are UTC days: shown as such, whatever the person's zone.
  const day = new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const instant = (value: string | number | Date) => new Date(value).getTime();
  return {
    dateTime: (value: string | number | Date) => dateTime.format(shift(instant(value))),
    /** "14 March 2027": a day named in words, in the person's zone. */
    longDate: (value: string | number | Date) => longDate.format(shift(instant(value))),
    /** A journal day (days since the epoch, UTC) in words. */
    day: (days: number) => day.format(days * 86_400_000),
    /** "2 days ago", "in 3 hours", "now", relative to `now`. */
    relative: (value: string | number | Date, now: number) => {
      const difference = instant(value) - now;
      for (const [unit, size] of relativeUnits)
        if (Math.abs(difference) >= size) return relative.format(Math.trunc(difference / size), unit);
      return relative.format(0, "minute");
    },
    number: (value: number) => number.format(value),
  };
}

export type Formats = ReturnType<typeof formats>;
