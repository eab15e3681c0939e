import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import {
  Attribute,
  BusyError,
  Change,
  Client,
  InvalidCredentialsError,
  NoSuchObjectError,
  ResultCodeError,
  type SearchOptions,
  UnavailableError,
} from "ldapts";
import type { DirectoryConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { chunks, noteReporter, resellersWithSettings } from "./entries.js";
import { anyOfFilter, escapeFilterValue } from "./filter.js";
import { attributeKey, type DirectoryEntry, type LdifModification, normalizeDn } from "./ldif.js";
import { mappedAttributes, toAccount, toPerson } from "./mapping.js";
import { type Account, type Directory, DirectoryError, type Person, type Reseller } from "./model.js";

const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
]);

/** Entries expire after the TTL; `null` remembers that a uid does not exist. */
class TtlCache<T> {
  private readonly items = new Map<string, { value: T | null; expires: number }>();
  constructor(private readonly ttlMs: number) {}

  get(key: string): T | null | undefined {
    const item = this.items.get(key);
    if (!item) return undefined;
    if (item.expires <= Date.now()) {
      this.items.delete(key);
      return undefined;
    }
    return item.value;
  }

  set(key: string, value: T | null): void {
    if (this.ttlMs > 0) this.items.set(key, { value, expires: Date.now() + this.ttlMs });
  }

  clear(): void {
    this.items.clear();
  }
}

const text = (item: unknown): string => (Buffer.isBuffer(item) ? item.toString("utf8") : String(item));

/** The few attribute names a directory sends, each as its key once (see attributeKey). */
const keys = new Map<string, string>();
const keyOf = (name: string): string => {
  let key = keys.get(name);
  if (key === undefined) {
    key = attributeKey(name);
    if (keys.size < 1000) keys.set(name, key);
  }
  return key;
};

// Values are appended in place: a collection decodes 50,000 entries of a dozen attributes each.
const toEntry = (raw: Record<string, unknown> & { dn: string }): DirectoryEntry => {
  const attributes: Record<string, string[]> = {};
  for (const name of Object.keys(raw)) {
    if (name === "dn") continue;
    const value = raw[name];
    const key = keyOf(name);
    // Own properties only: an attribute may be called `constructor`.
    let values = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
    if (values === undefined) {
      values = [];
      attributes[key] = values;
    }
    if (Array.isArray(value)) for (const item of value) values.push(text(item));
    else values.push(text(value));
  }
  return { dn: raw.dn, attributes };
};

/**
 * The LDAP backend. Every operation opens its own connection (bind, searches, unbind), so a
 * restarted server is simply reached again by the next operation; answers are cached for a short TTL.
 */
export class LdapDirectory implements Directory {
  /** Search requests sent (each page of a paged search counts once); for tests and benchmarks. */
  searches = 0;
  /** Entries the directory returned to those searches; for benchmarks. */
  entriesReturned = 0;
  private readonly names;
  private readonly attributes: string[];
  private readonly tlsOptions: ConnectionOptions;
  private readonly accounts: TtlCache<Account>;
  private readonly persons: TtlCache<Person>;
  private readonly resellers: TtlCache<Reseller>;
  private allAccounts: { accounts: Account[]; expires: number } | undefined;
  private readonly report;

  constructor(
    private readonly config: DirectoryConfig,
    private readonly logger: Logger,
  ) {
    this.names = config.attributes;
    this.attributes = mappedAttributes(config.attributes);
    this.tlsOptions = { rejectUnauthorized: config.tls.rejectUnauthorized };
    if (config.tls.caFile) {
      try {
        this.tlsOptions.ca = [readFileSync(config.tls.caFile)];
      } catch (error) {
        throw new DirectoryError(
          `directory.tls.caFile: cannot read ${config.tls.caFile} (${(error as NodeJS.ErrnoException).code})`,
        );
      }
    }
    const ttl = config.cacheTtlSeconds * 1000;
    this.accounts = new TtlCache(ttl);
    this.persons = new TtlCache(ttl);
    this.resellers = new TtlCache(ttl);
    this.report = noteReporter((message) => logger.warn(`directory: ${message}`));
  }

  /**
   * One line an operator can act on, for anything ldapts or the socket throws. A failure while
   * `connecting` (TLS, bind) is the directory's, never the request's.
   */
  private describe(error: unknown, during: string, connecting = false): DirectoryError {
    if (error instanceof DirectoryError) return error;
    const { url, bindDN } = this.config;
    const code = (error as NodeJS.ErrnoException).code;
    const message = error instanceof Error ? error.message : String(error);
    const fail = (text: string, unavailable = true) =>
      new DirectoryError(`directory: ${text}`, { cause: error, unavailable: connecting || unavailable });
    if (code && networkCodes.has(code)) return fail(`cannot reach ${url}: ${code}`);
    if (message === "Connection timeout")
      return fail(`cannot reach ${url}: no connection within ${this.config.connectTimeoutMs} ms`);
    // Slow for every request alike (bisecting a batch would only multiply the wait).
    if (/Operation timed out/.test(message))
      return fail(`${url} did not answer ${during} within ${this.config.timeoutMs} ms`);
    if (/certificate|TLS|SSL|self.signed|altnames/i.test(`${code} ${message}`))
      return fail(`TLS with ${url} failed: ${message}`);
    // slapd closes the connection on a request it will not take (one larger than its limit, for example).
    if (/Connection closed|socket/i.test(message))
      return fail(`connection to ${url} lost ${during}: ${message}`, false);
    if (error instanceof InvalidCredentialsError)
      return fail(`bind as ${bindDN} failed: invalid credentials`);
    const unavailable = error instanceof BusyError || error instanceof UnavailableError;
    return fail(`${during} on ${url} failed: ${message}`, unavailable);
  }

  private async withClient<T>(
    during: string,
    operation: (client: Client) => Promise<T>,
    signal?: AbortSignal,
    identity: { bindDN?: string; bindPassword?: string } = this.config,
  ): Promise<T> {
    const { url } = this.config;
    const { bindDN, bindPassword } = identity;
    const client = new Client({
      url,
      timeout: this.config.timeoutMs,
      connectTimeout: this.config.connectTimeoutMs,
      // ldapts speaks TLS from the first byte whenever tlsOptions are given: only for ldaps://.
      ...(url.startsWith("ldaps:") ? { tlsOptions: this.tlsOptions } : {}),
    });
    // Closing the connection ends a search in flight at once instead of at its timeout.
    const abort = () => void client.unbind().catch(() => undefined);
    signal?.addEventListener("abort", abort, { once: true });
    try {
      signal?.throwIfAborted();
      if (this.config.startTLS) {
        try {
          // Without the host, Node checks the certificate against "localhost" on an upgraded socket.
          await client.startTLS({ ...this.tlsOptions, host: new URL(url).hostname.replace(/^\[|\]$/g, "") });
        } catch (error) {
          throw this.describe(error, "starting TLS", true);
        }
      }
      if (bindDN) {
        try {
          await client.bind(bindDN, bindPassword ?? "");
        } catch (error) {
          // Network and TLS failures surface at the bind: describe them as such, not as a refused bind.
          if (error instanceof ResultCodeError && !(error instanceof InvalidCredentialsError))
            throw new DirectoryError(`directory: bind as ${bindDN} failed: ${error.message}`, {
              cause: error,
              unavailable: true,
            });
          throw this.describe(error, `binding as ${bindDN}`, true);
        }
      }
      return await operation(client);
    } catch (error) {
      throw this.describe(error, during);
    } finally {
      signal?.removeEventListener("abort", abort);
      await client.unbind().catch(() => undefined);
    }
  }

  private async search(client: Client, base: string, options: SearchOptions): Promise<DirectoryEntry[]> {
    this.searches++;
    const result = await client.search(base, { attributes: this.attributes, ...options });
    this.entriesReturned += result.searchEntries.length;
    return result.searchEntries.map((entry) => toEntry(entry as Record<string, unknown> & { dn: string }));
  }

  async eachAccountPage(onPage: (accounts: Account[]) => Promise<void>, signal?: AbortSignal): Promise<void> {
    if (this.allAccounts && this.allAccounts.expires > Date.now()) return onPage(this.allAccounts.accounts);
    const { base, filter } = this.config.accounts;
    // Only where configured: a collection that reused the last list would miss accounts added since.
    const reuse = this.config.accountListCacheSeconds;
    const kept: Account[] = [];
    await this.withClient(
      `searching all accounts in ${base}`,
      async (client) => {
        for await (const page of client.searchPaginated(base, {
          scope: "sub",
          filter,
          attributes: this.attributes,
          paged: { pageSize: this.config.pageSize },
        })) {
          signal?.throwIfAborted();
          this.searches++;
          this.entriesReturned += page.searchEntries.length;
          const accounts = page.searchEntries.map((entry) =>
            toAccount(toEntry(entry as Record<string, unknown> & { dn: string }), this.names),
          );
          // Not put into the look-up cache: a collection's 50,000 accounts would stay referenced for its TTL,
          // for look-ups by uid that the exporter never makes (the bridge has a directory of its own).
          for (const account of accounts) this.report(account.dn, account.notes);
          if (reuse > 0) kept.push(...accounts);
          await onPage(accounts);
        }
      },
      signal,
    );
    if (reuse > 0) this.allAccounts = { accounts: kept, expires: Date.now() + reuse * 1000 };
  }

  /** Look up uids in batches of OR-filters, through the cache; unknown uids are remembered as absent. */
  private async lookUp<T extends { uid: string; dn: string; notes?: string[] }>(
    uids: readonly string[],
    cache: TtlCache<T>,
    what: string,
    fetch: (client: Client, batch: string[]) => Promise<T[]>,
  ): Promise<Map<string, T>> {
    const result = new Map<string, T>();
    const missing = new Set<string>();
    for (const uid of uids) {
      const cached = cache.get(uid.toLowerCase());
      if (cached) result.set(uid, cached);
      else if (cached === undefined) missing.add(uid);
    }
    if (missing.size === 0) return result;
    const fetched = await this.withClient(`looking up ${what}`, async (client) => {
      const found: T[] = [];
      for (const batch of chunks([...missing], this.config.batchSize))
        found.push(...(await fetch(client, batch)));
      return found;
    });
    const byUid = new Map(fetched.map((item) => [item.uid.toLowerCase(), item]));
    for (const uid of missing) {
      const item = byUid.get(uid.toLowerCase());
      cache.set(uid.toLowerCase(), item ?? null);
      if (item) {
        this.report(item.dn, item.notes);
        result.set(uid, item);
      }
    }
    return result;
  }

  getAccounts(uids: readonly string[]): Promise<Map<string, Account>> {
    const { base, filter } = this.config.accounts;
    return this.lookUp(uids, this.accounts, "accounts", async (client, batch) =>
      (
        await this.search(client, base, { scope: "sub", filter: anyOfFilter(filter, this.names.uid, batch) })
      ).map((entry) => toAccount(entry, this.names)),
    );
  }

  getPersons(uids: readonly string[]): Promise<Map<string, Person>> {
    const { base, filter } = this.config.people;
    return this.lookUp(uids, this.persons, "persons", async (client, batch) =>
      (
        await this.search(client, base, { scope: "sub", filter: anyOfFilter(filter, this.names.uid, batch) })
      ).map((entry) => toPerson(entry, this.names)),
    );
  }

  /**
   * Resellers and their settings entries in one search: the resellers of the batch, or any entry
   * named like a settings entry; settings entries are then matched to their reseller by DN.
   */
  getResellers(uids: readonly string[]): Promise<Map<string, Reseller>> {
    const { base, filter } = this.config.resellers;
    const rdn = this.config.resellerSettingsRdn;
    const equals = rdn.indexOf("=");
    const settingsFilter = `(${rdn.slice(0, equals)}=${escapeFilterValue(rdn.slice(equals + 1))})`;
    return this.lookUp(uids, this.resellers, "resellers", async (client, batch) => {
      const resellerFilter = anyOfFilter(filter, this.names.uid, batch);
      const entries = await this.search(client, base, {
        scope: "sub",
        filter: `(|${resellerFilter}${settingsFilter})`,
      });
      const settingsKey = normalizeDn(rdn).split(",")[0];
      const isSettings = (entry: DirectoryEntry) => normalizeDn(entry.dn).split(",")[0] === settingsKey;
      return resellersWithSettings(
        entries.filter((entry) => !isSettings(entry)),
        entries.filter(isSettings),
        rdn,
        this.names,
      );
    });
  }

  /** Raw entries below `base` matching `filter` (paged), with only `attributes`; for the self-care portal. */
  async entries(base: string, filter: string, attributes: string[], scope: "base" | "sub" = "sub") {
    return this.withClient(`searching ${base}`, async (client) => {
      const found: DirectoryEntry[] = [];
      try {
        for await (const page of client.searchPaginated(base, {
          scope,
          filter,
          attributes,
          paged: { pageSize: this.config.pageSize },
        })) {
          this.searches++;
          this.entriesReturned += page.searchEntries.length;
          for (const entry of page.searchEntries)
            found.push(toEntry(entry as Record<string, unknown> & { dn: string }));
        }
      } catch (error) {
        if (error instanceof NoSuchObjectError) return found;
        throw error;
      }
      return found;
    });
  }

  /**
   * True when `dn` can bind with `password` (a simple bind on a connection of its own). An empty
   * password is refused here: LDAP treats it as an anonymous bind, which always succeeds.
   */
  async canBind(dn: string, password: string): Promise<boolean> {
    if (password === "") return false;
    try {
      await this.withClient(`binding as ${dn}`, async () => true, undefined, {
        bindDN: dn,
        bindPassword: password,
      });
      return true;
    } catch (error) {
      if (error instanceof DirectoryError && error.cause instanceof InvalidCredentialsError) return false;
      throw error;
    }
  }

  /** Modify (or, with `add`, create) one entry as `identity`; for the self-care portal's settings writes. */
  async write(
    identity: { bindDN?: string; bindPassword?: string },
    dn: string,
    change: { modify: LdifModification[] } | { add: Record<string, string[]> },
  ): Promise<void> {
    await this.withClient(
      `writing ${dn}`,
      async (client) => {
        if ("add" in change) return client.add(dn, change.add);
        return client.modify(
          dn,
          change.modify.map(
            ({ operation, attribute, values }) =>
              new Change({
                operation,
                modification: new Attribute({ type: attribute, values: [...values] }),
              }),
          ),
        );
      },
      undefined,
      identity,
    );
  }

  async check(): Promise<string> {
    const { base } = this.config.accounts;
    await this.withClient(`reading ${base}`, async (client) => {
      try {
        await this.search(client, base, { scope: "base", filter: "(objectClass=*)", attributes: ["1.1"] });
      } catch (error) {
        if (error instanceof NoSuchObjectError)
          throw new DirectoryError(`directory: accounts base ${base} does not exist on ${this.config.url}`);
        throw error;
      }
    });
    return `${this.config.bindDN ? `bound as ${this.config.bindDN}` : "anonymous"}, ${base} readable`;
  }

  async close(): Promise<void> {
    this.accounts.clear();
    this.persons.clear();
    this.resellers.clear();
    this.allAccounts = undefined;
    this.logger.debug("directory cache cleared");
  }
}
