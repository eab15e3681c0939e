import { readFile, stat } from "node:fs/promises";
import type { DirectoryConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { noteReporter, resellersWithSettings, within } from "./entries.js";
import { matchesFilter, parseFilter } from "./filter.js";
import { LdifError, normalizeDn, parseLdif } from "./ldif.js";
import { toAccount, toPerson } from "./mapping.js";
import { type Account, type Directory, DirectoryError, type Person, type Reseller } from "./model.js";

interface Snapshot {
  mtimeMs: number;
  size: number;
  entryCount: number;
  accounts: Map<string, Account>;
  persons: Map<string, Person>;
  resellers: Map<string, Reseller>;
}

const byUid = <T extends { uid: string }>(items: T[]): Map<string, T> =>
  new Map(items.map((item) => [item.uid.toLowerCase(), item]));

const pick = <T>(map: Map<string, T>, uids: readonly string[]): Map<string, T> => {
  const result = new Map<string, T>();
  for (const uid of uids) {
    const item = map.get(uid.toLowerCase());
    if (item) result.set(uid, item);
  }
  return result;
};

/**
 * A directory read from an LDIF file: read once, and again whenever the file's modification time
 * or size changes. Bases and filters apply as they would on a server.
 */
export function createLdifDirectory(file: string, config: DirectoryConfig, logger: Logger): Directory {
  const names = config.attributes;
  const filterOf = (key: "accounts" | "people" | "resellers") => {
    try {
      return parseFilter(config[key].filter);
    } catch (error) {
      throw new DirectoryError(`directory.${key}.filter: ${(error as Error).message}`);
    }
  };
  const filters = {
    accounts: filterOf("accounts"),
    people: filterOf("people"),
    resellers: filterOf("resellers"),
  };
  const report = noteReporter((message) => logger.warn(`directory: ${message}`));
  let snapshot: Snapshot | undefined;
  const unreadable = (error: unknown) =>
    new DirectoryError(`directory: cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`, {
      cause: error,
      unavailable: true,
    });

  const load = async (): Promise<Snapshot> => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch (error) {
      throw unreadable(error);
    }
    if (snapshot && snapshot.mtimeMs === info.mtimeMs && snapshot.size === info.size) return snapshot;
    let entries: ReturnType<typeof parseLdif>;
    try {
      entries = parseLdif(await readFile(file));
    } catch (error) {
      if (error instanceof LdifError)
        throw new DirectoryError(`directory: ${file}: ${error.message}`, { cause: error, unavailable: true });
      throw unreadable(error);
    }
    const normalized = entries.map((entry) => ({ entry, dn: normalizeDn(entry.dn) }));
    const select = (key: "accounts" | "people" | "resellers") => {
      const inScope = within(config[key].base);
      return normalized
        .filter(({ entry, dn }) => inScope(dn) && matchesFilter(filters[key], entry))
        .map(({ entry }) => entry);
    };
    const accounts = select("accounts").map((entry) => toAccount(entry, names));
    const persons = select("people").map((entry) => toPerson(entry, names));
    const resellers = resellersWithSettings(select("resellers"), entries, config.resellerSettingsRdn, names);
    for (const item of [...accounts, ...persons, ...resellers]) report(item.dn, item.notes);
    snapshot = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      entryCount: entries.length,
      accounts: byUid(accounts),
      persons: byUid(persons),
      resellers: byUid(resellers),
    };
    logger.debug({ file, entries: entries.length, accounts: accounts.length }, "directory file loaded");
    return snapshot;
  };

  return {
    eachAccountPage: async (onPage) => onPage([...(await load()).accounts.values()]),
    getAccounts: async (uids) => pick((await load()).accounts, uids),
    getPersons: async (uids) => pick((await load()).persons, uids),
    getResellers: async (uids) => pick((await load()).resellers, uids),
    check: async () => {
      const loaded = await load();
      return `${file}: ${loaded.entryCount} entries, ${loaded.accounts.size} accounts, ${loaded.persons.size} persons, ${loaded.resellers.size} resellers`;
    },
    close: async () => {
      snapshot = undefined;
    },
  };
}
