import type { BackupConfig } from "../config/index.js";
import { type HostObservation, observeHost, ParsedFileCache } from "./host.js";
import { code, readAccountTree, TimeUp } from "./tree.js";

/** What reading and parsing a home needs of the configuration. */
export type ObserverSettings = Pick<
  BackupConfig,
  "incomingDir" | "metadataDir" | "maxFileBytes" | "maxHostsPerAccount" | "clockSkewToleranceSeconds"
> & {
  /** Time allowed for one home (backup.accountTimeoutMs). */
  timeoutMs: number;
};

/** What one account's home says: its hosts as observed, and the problems of the home as a whole. */
export interface AccountObservation {
  hosts: HostObservation[];
  errors: string[];
  /** The home does not exist (see TreeReading). */
  homeMissing?: true;
}

/**
 * Reads homes and parses their client files, keeping what it parsed between collections (see
 * ParsedFileCache): the part of a collection that touches the backup tree, synchronous and without history,
 * so that it can run in a reader thread (see observer-pool.ts). It never throws.
 */
export class AccountObserver {
  readonly #cache = new ParsedFileCache();

  constructor(private readonly settings: ObserverSettings) {}

  /** Start a collection; with `recall` false every file is looked at again (see ParsedFileCache). */
  nextCollection(recall: boolean): void {
    this.#cache.nextCollection(recall);
  }

  observe(uid: string, home: string, now: Date): AccountObservation {
    const cache = this.#cache;
    const settings = this.settings;
    const deadline = performance.now() + settings.timeoutMs;
    try {
      const tree = readAccountTree(
        home,
        {
          ...settings,
          isKnown: (host, kind, stamp) => cache.knows(uid, host, kind, stamp),
          holds: (host, kind) => cache.holds(uid, host, kind),
          recall: cache.recallFor(uid),
        },
        deadline,
      );
      if (tree.listing) cache.rememberListing(uid, tree.listing.stamp, tree.listing.entries);
      const hosts = tree.hosts.map((folder) => {
        const observation = observeHost(folder, now, settings, { account: uid, cache });
        cache.rememberFolder(uid, folder);
        return observation;
      });
      return tree.homeMissing
        ? { hosts, errors: tree.errors, homeMissing: true }
        : { hosts, errors: tree.errors };
    } catch (error) {
      if (error instanceof TimeUp) return timedOut(home, settings.timeoutMs);
      return { hosts: [], errors: [`reading ${home} failed (${code(error)})`] };
    }
  }
}

export const timedOut = (home: string, timeoutMs: number): AccountObservation => ({
  hosts: [],
  errors: [`reading ${home} took longer than ${timeoutMs} ms; aborted`],
});
