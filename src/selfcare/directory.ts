import { createHash, timingSafeEqual } from "node:crypto";
import { appendFile, readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { DirectoryConfig } from "../config/index.js";
import {
  attributeKey,
  type DirectoryEntry,
  DirectoryError,
  escapeFilterValue,
  formatLdifAdd,
  formatLdifModify,
  type LdapDirectory,
  type LdifModification,
  matchesFilter,
  normalizeDn,
  parseFilter,
  parseLdif,
  within,
} from "../directory/index.js";
import { sameSecret } from "../http-auth.js";

/** A write to one entry: modifications, or a new entry with its attributes. */
export type EntryChange = { modify: LdifModification[] } | { add: Record<string, string[]> };

/** The few raw directory operations the portal needs; one implementation per backend. */
export interface EntrySource {
  /** Entries below (or at, with scope "base") `base` that match `filter`; a missing base yields none. */
  entries(
    base: string,
    filter: string,
    attributes: string[],
    scope?: "base" | "sub",
  ): Promise<DirectoryEntry[]>;
  /** Whether this entry's password is `password`. */
  passwordMatches(dn: string, password: string): Promise<boolean>;
  write(dn: string, change: EntryChange): Promise<void>;
}

const sha1 = (...parts: Buffer[]): Buffer => {
  const hash = createHash("sha1");
  for (const part of parts) hash.update(part);
  return hash.digest();
};

const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/** A `userPassword` value checked as OpenLDAP does for {SSHA}, {SHA} and cleartext; other schemes never match. */
export function userPasswordMatches(stored: string, password: string): boolean {
  const scheme = /^\{([A-Za-z0-9-]+)\}(.*)$/s.exec(stored);
  const given = Buffer.from(password, "utf8");
  if (!scheme) return sameSecret(password, stored);
  const [, name = "", encoded = ""] = scheme;
  const decoded = Buffer.from(encoded, "base64");
  if (name.toUpperCase() === "SHA") return sameBytes(sha1(given), decoded);
  if (name.toUpperCase() === "SSHA" && decoded.length > 20)
    return sameBytes(sha1(given, decoded.subarray(20)), decoded.subarray(0, 20));
  return false;
}

/**
 * The LDIF backend: searches evaluate the filters on the file (re-read when it changes), passwords are
 * checked against `userPassword`, and writes append change records to the file, which the monitor's
 * other parts read on their next look.
 */
export function ldifEntrySource(file: string, passwordAttribute: string): EntrySource {
  let cached: { mtimeMs: number; size: number; entries: DirectoryEntry[]; byDn: Map<string, DirectoryEntry> };
  const load = async () => {
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
      throw new DirectoryError(`directory: cannot read ${file}: ${error.code}`, { cause: error });
    });
    if (cached?.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    let entries: DirectoryEntry[];
    try {
      entries = parseLdif(await readFile(file));
    } catch (error) {
      throw new DirectoryError(`directory: ${file}: ${(error as Error).message}`, { cause: error });
    }
    cached = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      entries,
      byDn: new Map(entries.map((entry) => [normalizeDn(entry.dn), entry])),
    };
    return cached;
  };
  return {
    async entries(base, filter, _attributes, scope = "sub") {
      const parsed = parseFilter(filter);
      const loaded = await load();
      if (scope === "base") {
        const entry = loaded.byDn.get(normalizeDn(base));
        return entry && matchesFilter(parsed, entry) ? [entry] : [];
      }
      const inScope = within(base);
      return loaded.entries.filter((entry) => inScope(normalizeDn(entry.dn)) && matchesFilter(parsed, entry));
    },
    async passwordMatches(dn, password) {
      if (password === "") return false;
      const entry = (await load()).byDn.get(normalizeDn(dn));
      const stored = entry?.attributes[attributeKey(passwordAttribute)] ?? [];
      return stored.some((value) => userPasswordMatches(value, password));
    },
    async write(dn, change) {
      const record =
        "add" in change ? formatLdifAdd({ dn, attributes: change.add }) : formatLdifModify(dn, change.modify);
      await appendFile(file, record);
    },
  };
}

/** The LDAP backend: searches as the monitor, passwords checked by binding as the person, writes as the portal. */
export function ldapEntrySource(
  directory: LdapDirectory,
  writer: { bindDN?: string; bindPassword?: string },
): EntrySource {
  return {
    entries: (base, filter, attributes, scope) => directory.entries(base, filter, attributes, scope),
    passwordMatches: (dn, password) => directory.canBind(dn, password),
    write: (dn, change) => directory.write(writer, dn, change),
  };
}

/** The entry source the configuration names (LDIF file or LDAP server). */
export function openEntrySource(
  config: DirectoryConfig,
  ldap: () => LdapDirectory,
  writer: { bindDN?: string; bindPassword?: string },
): EntrySource {
  if (config.url.startsWith("file:")) {
    const file = config.url.startsWith("file://")
      ? fileURLToPath(config.url)
      : config.url.slice("file:".length);
    return ldifEntrySource(file, config.attributes.password);
  }
  return ldapEntrySource(ldap(), writer);
}

/** `(attribute=value)` with the value escaped. */
export const equals = (attribute: string, value: string): string =>
  `(${attribute}=${escapeFilterValue(value)})`;
