import {
  AndFilter,
  ApproximateFilter,
  EqualityFilter,
  type Filter,
  FilterParser,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
} from "ldapts";
import { attributeKey, type DirectoryEntry } from "./ldif.js";

/**
 * Escape a value for an LDAP filter (RFC 4515, string representation): `*`, `(`, `)`, `\` and NUL become
 * `\2a`, `\28`, `\29`, `\5c`, `\00`, so a value such as `*)(uid=*` cannot widen a search.
 */
export const escapeFilterValue = (value: string): string =>
  value.replace(/[*()\\\0]/g, (char) => `\\${char.charCodeAt(0).toString(16).padStart(2, "0")}`);

/** `(&<base>(|(attribute=v1)(attribute=v2)...))` with every value escaped. */
export function anyOfFilter(baseFilter: string, attribute: string, values: readonly string[]): string {
  const alternatives = values.map((value) => `(${attribute}=${escapeFilterValue(value)})`).join("");
  return `(&${baseFilter}(|${alternatives}))`;
}

/** Parse an RFC 4515 filter; throws with the filter in the message when it is malformed. */
export function parseFilter(filter: string): Filter {
  try {
    return FilterParser.parseString(filter);
  } catch (error) {
    throw new Error(`invalid LDAP filter ${filter}: ${(error as Error).message}`);
  }
}

const text = (value: unknown): string =>
  Buffer.isBuffer(value) ? value.toString("utf8") : String(value ?? "");
const compare = (a: string, b: string): number => {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) return Math.sign(Number(a) - Number(b));
  return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
};

/**
 * Evaluate a filter against an entry the way a server with case-insensitive matching rules does
 * (multi-valued attributes, attribute names in any case); used by the LDIF backend.
 */
export function matchesFilter(filter: Filter, entry: DirectoryEntry): boolean {
  const values = (attribute: string) => entry.attributes[attributeKey(attribute)] ?? [];
  if (filter instanceof AndFilter) return filter.filters.every((part) => matchesFilter(part, entry));
  if (filter instanceof OrFilter) return filter.filters.some((part) => matchesFilter(part, entry));
  if (filter instanceof NotFilter) return !matchesFilter(filter.filter, entry);
  if (filter instanceof PresenceFilter) return values(filter.attribute).length > 0;
  if (filter instanceof EqualityFilter || filter instanceof ApproximateFilter) {
    const wanted = text(filter.value).toLowerCase();
    return values(filter.attribute).some((value) => value.toLowerCase() === wanted);
  }
  if (filter instanceof GreaterThanEqualsFilter)
    return values(filter.attribute).some((value) => compare(value, text(filter.value)) >= 0);
  if (filter instanceof LessThanEqualsFilter)
    return values(filter.attribute).some((value) => compare(value, text(filter.value)) <= 0);
  if (filter instanceof SubstringFilter) {
    const initial = text(filter.initial).toLowerCase();
    const final = text(filter.final).toLowerCase();
    const any = filter.any.map((part) => text(part).toLowerCase());
    return values(filter.attribute).some((raw) => {
      const value = raw.toLowerCase();
      if (!value.startsWith(initial)) return false;
      let position = initial.length;
      for (const part of any) {
        const found = value.indexOf(part, position);
        if (found < 0) return false;
        position = found + part.length;
      }
      return value.length - final.length >= position && value.endsWith(final);
    });
  }
  throw new Error(`filter ${filter.toString()} uses a match the LDIF backend does not support`);
}
