import type { Language } from "../../config/index.js";

/** Locales for numbers and dates; Swiss variants because most customers are in Switzerland. */
export const locales: Record<Language, string> = { en: "en-GB", de: "de-CH", fr: "fr-CH" };

/** `de-CH` → `de`; anything not translated → the configured default. */
export function toLanguage(code: string | undefined, fallback: Language): Language {
  const primary = code?.trim().toLowerCase().split(/[-_]/)[0];
  return primary === "en" || primary === "de" || primary === "fr" ? primary : fallback;
}

type Formatter = Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules;

/** Building an Intl formatter costs far more than using one, and a burst renders thousands of mails. */
const formatters = new Map<string, Formatter>();
function cached<T extends Formatter>(key: string, create: () => T): T {
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = create();
    formatters.set(key, formatter);
  }
  return formatter as T;
}

/** The CLDR plural category of a count: French says "0 sauvegarde" and "21 sauvegardes", English "0 backups". */
export const pluralCategory = (count: number, language: Language): Intl.LDMLPluralRule =>
  cached(`plural ${language}`, () => new Intl.PluralRules(locales[language])).select(count);

export const formatPercent = (ratio: number, language: Language): string =>
  cached(
    `percent ${language}`,
    () => new Intl.NumberFormat(locales[language], { style: "percent", maximumFractionDigits: 0 }),
  ).format(ratio);

/** "9.7", but "10" rather than "10.0": a quota is a round number and reads as one. */
export const formatGiB = (bytes: number, language: Language): string =>
  cached(
    `GiB ${language}`,
    () => new Intl.NumberFormat(locales[language], { maximumFractionDigits: 1 }),
  ).format(bytes / 2 ** 30);

const dateFormatter = (language: Language, timeZone: string, withTime: boolean, zoneName: boolean) =>
  cached(
    `date ${language} ${timeZone} ${withTime} ${zoneName}`,
    () =>
      new Intl.DateTimeFormat(locales[language], {
        year: "numeric",
        month: "long",
        day: "numeric",
        ...(withTime ? { hour: "2-digit", minute: "2-digit" } : {}),
        ...(withTime && zoneName ? { timeZoneName: "short" } : {}),
        timeZone,
      }),
  );

/** "Tuesday 02:15" within the last week, else "1 December at 02:15": how people say when something began. */
const sinceFormatter = (language: Language, timeZone: string, recent: boolean) =>
  cached(
    `since ${language} ${timeZone} ${recent}`,
    () =>
      new Intl.DateTimeFormat(locales[language], {
        ...(recent ? { weekday: "long" } : { month: "long", day: "numeric" }),
        hour: "2-digit",
        minute: "2-digit",
        timeZone,
      }),
  );

const fixedOffset = /^([+-])(\d{2}):?(\d{2})$/;

/**
 * Dates in the recipient's zone: an IANA name, or a fixed offset such as `+01:00` (what
 * sstTimeZoneOffset holds; Node 20's Intl does not accept offsets, so they are applied by hand).
 * An unknown zone falls back to UTC rather than losing the mail.
 */
export function formatDate(date: Date, language: Language, timeZone: string, withTime: boolean): string {
  const offset = fixedOffset.exec(timeZone.trim());
  if (offset) {
    const text = dateFormatter(language, "UTC", withTime, false).format(shift(date, offsetMinutes(offset)));
    return withTime ? `${text} (UTC${offset[1]}${offset[2]}:${offset[3]})` : text;
  }
  try {
    return dateFormatter(language, timeZone, withTime, true).format(date);
  } catch {
    return dateFormatter(language, "UTC", withTime, true).format(date);
  }
}

const SIX_DAYS_MS = 6 * 86_400_000;

/** When a problem began, relative to `now`: the weekday within the last six days, else the date. */
export function formatSince(date: Date, now: number, language: Language, timeZone: string): string {
  const recent = now - date.getTime() < SIX_DAYS_MS;
  const offset = fixedOffset.exec(timeZone.trim());
  if (offset) return sinceFormatter(language, "UTC", recent).format(shift(date, offsetMinutes(offset)));
  try {
    return sinceFormatter(language, timeZone, recent).format(date);
  } catch {
    return sinceFormatter(language, "UTC", recent).format(date);
  }
}

const offsetMinutes = (offset: RegExpExecArray): number =>
  (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));

const shift = (date: Date, minutes: number) => new Date(date.getTime() + minutes * 60_000);
