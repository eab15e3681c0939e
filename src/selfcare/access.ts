import type { DirectoryConfig, Language } from "../config/index.js";
import { attributeKey, type DirectoryEntry, type SettingName } from "../directory/index.js";
import { type EntrySource, equals } from "./directory.js";
import { personZone } from "./time.js";

/** A person of the people base as the portal sees it. */
export interface PortalPerson {
  uid: string;
  dn: string;
  name?: string;
  /** preferredLanguage as written (e.g. `de-CH`). */
  preferredLanguage?: string;
  /** The zone of the person's dates: sstTimeZoneOffset, else `directory.defaults.timeZone`. */
  timeZone: string;
  active: boolean;
  /** sstUseSelfcare; absent counts as allowed. */
  useSelfcare: boolean;
}

/** Why a person may see an account. */
export type Grant =
  | { kind: "owner"; attribute: string }
  | { kind: "allowed"; attribute: string }
  | { kind: "reseller"; resellerUid: string; attributes: string[] };

/** Everything a person may see: accounts (with why) and the resellers whose defaults they may edit. */
export interface Scope {
  person: PortalPerson;
  accounts: Map<string, Grant[]>;
  /** Reseller uid → the reseller entry's attributes that name the person. */
  resellers: Map<string, string[]>;
}

/** Why a login failed; for the log only: the person is told nothing but "uid or password wrong". */
export type LoginFailure = "unknown uid" | "ambiguous uid" | "wrong password" | "inactive" | "self-care off";

export type LoginResult = { ok: true; person: PortalPerson } | { ok: false; reason: LoginFailure };

const first = (entry: DirectoryEntry, name: string): string | undefined =>
  entry.attributes[attributeKey(name)]?.[0];
const all = (entry: DirectoryEntry, name: string): string[] => entry.attributes[attributeKey(name)] ?? [];
const isFalse = (value: string | undefined) => value !== undefined && /^false$/i.test(value.trim());

/** The pages' language from preferredLanguage (`de-CH` → de); unknown ones become the fallback. */
export const pageLanguage = (preferred: string | undefined, fallback: Language): Language => {
  const code = preferred?.slice(0, 2).toLowerCase();
  return code === "de" || code === "fr" || code === "en" ? code : fallback;
};

/**
 * Who may log in and what they may see. Every rule reads the directory (through the cache of at most
 * `scopeCacheMs`), so a change there takes effect without restarting the portal.
 */
export class PortalAccess {
  private readonly scopes = new Map<string, { scope: Promise<Scope | undefined>; expires: number }>();

  constructor(
    private readonly source: EntrySource,
    private readonly config: DirectoryConfig,
    private readonly scopeCacheMs: number,
  ) {}

  private get names() {
    return this.config.attributes;
  }

  /** The person with this uid, or undefined when there is none or more than one. */
  async person(uid: string): Promise<PortalPerson | undefined | "ambiguous"> {
    const { base, filter } = this.config.people;
    const n = this.names;
    const found = await this.source.entries(base, `(&${filter}${equals(n.uid, uid)})`, [
      n.uid,
      n.givenName,
      n.surname,
      n.preferredLanguage,
      n.timeZoneOffset,
      n.active,
      n.useSelfcare,
    ]);
    if (found.length > 1) return "ambiguous";
    const [entry] = found;
    if (!entry) return undefined;
    const name = [first(entry, n.givenName), first(entry, n.surname)].filter(Boolean).join(" ");
    const language = first(entry, n.preferredLanguage);
    return {
      uid: first(entry, n.uid) ?? uid,
      dn: entry.dn,
      ...(name ? { name } : {}),
      ...(language ? { preferredLanguage: language } : {}),
      timeZone: personZone(first(entry, n.timeZoneOffset), this.config.defaults.timeZone),
      active: !isFalse(first(entry, n.active)),
      useSelfcare: !isFalse(first(entry, n.useSelfcare)),
    };
  }

  /** Check uid and password; the password is checked before the flags, so neither leaks which persons exist. */
  async login(uid: string, password: string): Promise<LoginResult> {
    const person = await this.person(uid);
    if (person === undefined) return { ok: false, reason: "unknown uid" };
    if (person === "ambiguous") return { ok: false, reason: "ambiguous uid" };
    if (!(await this.source.passwordMatches(person.dn, password)))
      return { ok: false, reason: "wrong password" };
    if (!person.active) return { ok: false, reason: "inactive" };
    if (!person.useSelfcare) return { ok: false, reason: "self-care off" };
    return { ok: true, person };
  }

  /**
   * A logged-in person's scope, computed at most once per cache period; undefined once the person is
   * gone, inactive or no longer allowed to use the portal (their sessions then end). Once the period
   * is over the next request starts a new computation and, while it runs (a reseller's thousands of
   * accounts take a while), gets the previous scope; it is never more than two periods old.
   */
  scope(personUid: string): Promise<Scope | undefined> {
    const now = Date.now();
    const cached = this.scopes.get(personUid);
    if (cached && cached.expires > now) return cached.scope;
    const scope = this.person(personUid).then((person) =>
      typeof person === "object" && person.active && person.useSelfcare
        ? this.computeScope(person)
        : undefined,
    );
    const entry = { scope, expires: now + this.scopeCacheMs };
    const previous = cached && cached.expires + this.scopeCacheMs > now ? cached : undefined;
    if (!previous) {
      this.scopes.set(personUid, entry);
      scope.catch(() => this.scopes.delete(personUid));
      return scope;
    }
    // Refreshing: keep answering with the previous scope until the new one is there.
    previous.expires = now + this.scopeCacheMs;
    scope.then(
      () => this.scopes.set(personUid, entry),
      () => this.scopes.delete(personUid),
    );
    return previous.scope;
  }

  private async computeScope(person: PortalPerson): Promise<Scope> {
    const n = this.names;
    const uid = person.uid;
    const contactAttributes = [n.person, n.informPerson, n.responsiblePerson];
    const resellerEntries = await this.source.entries(
      this.config.resellers.base,
      `(&${this.config.resellers.filter}(|${contactAttributes.map((a) => equals(a, uid)).join("")}))`,
      [n.uid, ...contactAttributes],
    );
    const resellers = new Map<string, string[]>();
    for (const entry of resellerEntries) {
      const resellerUid = first(entry, n.uid);
      if (!resellerUid) continue;
      const naming = contactAttributes.filter((a) =>
        all(entry, a).some((v) => v.toLowerCase() === uid.toLowerCase()),
      );
      resellers.set(resellerUid, naming);
    }
    const alternatives = [
      equals(n.person, uid),
      equals(n.allowPerson, uid),
      ...[...resellers.keys()].map((resellerUid) => equals(n.reseller, resellerUid)),
    ];
    const accountEntries = await this.source.entries(
      this.config.accounts.base,
      `(&${this.config.accounts.filter}(|${alternatives.join("")}))`,
      [n.uid, n.person, n.allowPerson, n.reseller],
    );
    const accounts = new Map<string, Grant[]>();
    const same = (values: string[], wanted: string) =>
      values.some((v) => v.toLowerCase() === wanted.toLowerCase());
    for (const entry of accountEntries) {
      const accountUid = first(entry, n.uid);
      if (!accountUid) continue;
      const grants: Grant[] = [];
      if (same(all(entry, n.person), uid)) grants.push({ kind: "owner", attribute: n.person });
      if (same(all(entry, n.allowPerson), uid)) grants.push({ kind: "allowed", attribute: n.allowPerson });
      for (const resellerUid of all(entry, n.reseller)) {
        const attributes = resellers.get(resellerUid);
        if (attributes) grants.push({ kind: "reseller", resellerUid, attributes });
      }
      if (grants.length > 0) accounts.set(accountUid, grants);
    }
    return { person, accounts, resellers };
  }
}

/** The directory attribute each setting is written to; the warnings flag goes where it was read from. */
export function settingAttribute(
  name: SettingName,
  names: DirectoryConfig["attributes"],
  entry: DirectoryEntry,
): string[] {
  if (name !== "warnings") return [names[name]];
  const present = names.warningsFlag.filter((flag) => entry.attributes[attributeKey(flag)] !== undefined);
  // sst.schema's own name (the last one configured by default) when the entry has none yet.
  return present.length > 0 ? present : [names.warningsFlag.at(-1) ?? "sstBackupWarningOn"];
}
