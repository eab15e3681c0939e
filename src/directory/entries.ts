import type { AttributeNames } from "../config/index.js";
import { type DirectoryEntry, normalizeDn } from "./ldif.js";
import { toReseller } from "./mapping.js";
import type { Reseller } from "./model.js";

/** Resellers with their settings entries (`<settingsRdn>,<reseller dn>`) picked out of `candidates`. */
export function resellersWithSettings(
  resellerEntries: readonly DirectoryEntry[],
  candidates: readonly DirectoryEntry[],
  settingsRdn: string,
  names: AttributeNames,
): Reseller[] {
  const byDn = new Map(candidates.map((entry) => [normalizeDn(entry.dn), entry]));
  return resellerEntries.map((entry) =>
    toReseller(entry, byDn.get(normalizeDn(`${settingsRdn},${entry.dn}`)), names),
  );
}

/** A test for "is this normalized DN the base or below it" (subtree scope). */
export function within(base: string): (normalizedDn: string) => boolean {
  const normalizedBase = normalizeDn(base);
  return (dn) => dn === normalizedBase || dn.endsWith(`,${normalizedBase}`);
}

/** Split into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** Log each mapping note once per process, so a bad value does not flood the log every collection. */
export function noteReporter(warn: (message: string) => void): (owner: string, notes?: string[]) => void {
  const seen = new Set<string>();
  return (owner, notes) => {
    for (const note of notes ?? []) {
      const key = `${owner}: ${note}`;
      if (seen.has(key)) continue;
      seen.add(key);
      warn(key);
    }
  };
}
