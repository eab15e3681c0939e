import type { Language } from "../../config/index.js";

/** Locales for numbers and dates; Swiss variants because most customers are in Switzerland. */
const locales: Record<Language, string> = { en: "en-GB", de: "de-CH", fr: "fr-CH" };

/** `de-CH` → `de`; anything not translated → the configured default. */
export function toLanguage(code: string | undefined, fallback: Language): Language {
  const primary = code?.trim().toLowerCase().split(/[-_]/)[0];
  return primary === "en" || primary === "de" || primary === "fr" ? primary : fallback;
}

export const formatPercent = (ratio: number, language: Language): string =>
  new Intl.NumberFormat(locales[language], { style: "percent", maximumFractionDigits: 0 }).format(ratio);

export const formatGiB = (bytes: number, language: Language): string =>
  new Intl.NumberFormat(locales[language], { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    bytes / 2 ** 30,
  );

const fixedOffset = /^([+-])(\d{2}):?(\d{2})$/;

/**
 * Dates in the recipient's zone: an IANA name, or a fixed offset such as `+01:00` (what
 * sstTimeZoneOffset holds; Node 20's Intl does not accept offsets, so they are applied by hand).
 * An unknown zone falls back to UTC rather than losing the mail.
 */
export function formatDate(date: Date, language: Language, timeZone: string, withTime: boolean): string {
  const fields: Intl.DateTimeFormatOptions = withTime
    ? { year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" }
    : { year: "numeric", month: "long", day: "numeric" };
  const offset = fixedOffset.exec(timeZone.trim());
  if (offset) {
    const minutes = (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
    const shifted = new Date(date.getTime() + minutes * 60_000);
    const text = new Intl.DateTimeFormat(locales[language], { ...fields, timeZone: "UTC" }).format(shifted);
    return withTime ? `${text} (UTC${offset[1]}${offset[2]}:${offset[3]})` : text;
  }
  try {
    return new Intl.DateTimeFormat(locales[language], {
      ...fields,
      timeZone,
      ...(withTime ? { timeZoneName: "short" } : {}),
    }).format(date);
  } catch {
    return new Intl.DateTimeFormat(locales[language], {
      ...fields,
      timeZone: "UTC",
      ...(withTime ? { timeZoneName: "short" } : {}),
    }).format(date);
  }
}
