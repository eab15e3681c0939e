import type { AttributeNames } from "../config/index.js";
import { isSingleAddress } from "./address.js";
import { attributeKey, type DirectoryEntry } from "./ldif.js";
import type { Account, AccountSettings, Person, Reseller } from "./model.js";

/** Reads mapped attributes of one entry; malformed values are ignored and noted, never thrown. */
class EntryReader {
  readonly notes: string[] = [];
  constructor(private readonly entry: DirectoryEntry) {}

  all(name: string): string[] {
    return (this.entry.attributes[attributeKey(name)] ?? [])
      .map((value) => value.trim())
      .filter((v) => v !== "");
  }

  first(name: string): string | undefined {
    return this.all(name)[0];
  }

  /** Mail addresses: values that are not exactly one address are set aside with a note. */
  addresses(name: string): { mail: string[]; ignoredMail?: string[] } {
    const values = this.all(name);
    const mail = values.filter(isSingleAddress);
    const ignored = values.filter((value) => !isSingleAddress(value));
    for (const value of ignored)
      this.notes.push(`${name}: ${JSON.stringify(value)} is not exactly one mail address (ignored)`);
    return ignored.length > 0 ? { mail, ignoredMail: ignored } : { mail };
  }

  boolean(name: string): boolean | undefined {
    const value = this.first(name);
    if (value === undefined) return undefined;
    if (/^true$/i.test(value)) return true;
    if (/^false$/i.test(value)) return false;
    this.notes.push(`${name}: expected TRUE or FALSE, got "${value}" (ignored)`);
    return undefined;
  }

  integer(name: string, min = 0): number | undefined {
    const value = this.first(name);
    if (value === undefined) return undefined;
    const number = /^[+-]?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(number) && number >= min) return number;
    this.notes.push(`${name}: expected an integer >= ${min}, got "${value}" (ignored)`);
    return undefined;
  }

  generalizedTime(name: string): Date | undefined {
    const value = this.first(name);
    if (value === undefined) return undefined;
    const date = parseGeneralizedTime(value);
    if (!date)
      this.notes.push(
        `${name}: expected a generalized time such as 20261001120000Z, got "${value}" (ignored)`,
      );
    return date;
  }
}

const utc = (y: string, mo: string, d: string, h: string, mi: string, s: string): Date | undefined => {
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  const valid =
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() === Number(mo) - 1 &&
    date.getUTCDate() === Number(d) &&
    date.getUTCHours() === Number(h) &&
    date.getUTCMinutes() === Number(mi) &&
    date.getUTCSeconds() === Number(s);
  return valid ? date : undefined;
};

/** RFC 4517 GeneralizedTime (`20261001120000Z`, optional seconds and fraction, `Z` or `±hhmm`). */
export function parseGeneralizedTime(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$/.exec(
    value,
  );
  if (!match) return undefined;
  const [, y, mo, d, h, mi = "00", s = "00", fraction, zone] = match;
  if (!y || !mo || !d || !h || !zone) return undefined;
  const base = utc(y, mo, d, h, mi, s);
  if (!base) return undefined;
  let ms = base.getTime() + (fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0);
  if (zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5) || "0")) * 60_000;
  }
  return new Date(ms);
}

/**
 * `sstBackupLastSuccessfulBackup` values `host:YYYYMMDDThhmmssZ`. The timestamp follows the last
 * colon, so host names with colons survive; `0` means "never" and is skipped; per host the latest wins.
 */
export function parseLastSuccessfulBackups(values: readonly string[]): {
  byHost: Map<string, Date>;
  notes: string[];
} {
  const byHost = new Map<string, Date>();
  const notes: string[] = [];
  for (const value of values) {
    if (value === "0") continue;
    const colon = value.lastIndexOf(":");
    const host = value.slice(0, Math.max(colon, 0));
    const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value.slice(colon + 1));
    const date = match
      ? utc(...(match.slice(1, 7) as [string, string, string, string, string, string]))
      : undefined;
    if (colon <= 0 || !date) {
      notes.push(`last successful backup "${value}": expected host:YYYYMMDDThhmmssZ or 0 (ignored)`);
      continue;
    }
    const known = byHost.get(host);
    if (!known || known < date) byHost.set(host, date);
  }
  return { byHost, notes };
}

/** The warnings flag: the first of the configured names present with a valid value. */
function warningsFlag(reader: EntryReader, names: AttributeNames): { value?: boolean; attribute?: string } {
  for (const attribute of names.warningsFlag) {
    const value = reader.boolean(attribute);
    if (value !== undefined) return { value, attribute };
  }
  return {};
}

function readSettings(reader: EntryReader, names: AttributeNames): AccountSettings {
  const settings: AccountSettings = {};
  const warnings = warningsFlag(reader, names).value;
  if (warnings !== undefined) settings.warnings = warnings;
  const quota = reader.integer(names.quotaWarningPercent);
  if (quota !== undefined) settings.quotaWarningPercent = quota;
  const missed = reader.integer(names.missedBackupsThreshold);
  if (missed !== undefined) settings.missedBackupsThreshold = missed;
  const days = reader.integer(names.missedDaysThreshold);
  if (days !== undefined) settings.missedDaysThreshold = days;
  const failures = reader.integer(names.failuresThreshold);
  if (failures !== undefined) settings.failuresThreshold = failures;
  const fullDays = reader.integer(names.quotaFullDays);
  if (fullDays !== undefined) settings.quotaFullDays = fullDays;
  return settings;
}

/** The uid of an entry: its uid attribute, else the value of its first RDN. */
const uidOf = (entry: DirectoryEntry, reader: EntryReader, names: AttributeNames): string =>
  reader.first(names.uid) ?? entry.dn.split(",")[0]?.split("=")[1]?.trim() ?? entry.dn;

export function toAccount(entry: DirectoryEntry, names: AttributeNames): Account {
  const reader = new EntryReader(entry);
  const flag = warningsFlag(reader, names);
  const last = parseLastSuccessfulBackups(reader.all(names.lastSuccessfulBackup));
  const account: Account = {
    uid: uidOf(entry, reader, names),
    dn: entry.dn,
    active: reader.boolean(names.active) ?? true,
    settings: readSettings(reader, names),
    ...reader.addresses(names.mail),
    resellerUids: reader.all(names.reseller),
    lastSuccessfulBackup: last.byHost,
  };
  const notices = reader.all(names.notices).map((v) => v.trim().toLowerCase());
  const optional = {
    notices: notices.length > 0 ? notices : undefined,
    home: reader.first(names.home),
    warningsFlagAttribute: flag.attribute,
    preferredLanguage: reader.first(names.preferredLanguage),
    personUid: reader.first(names.person),
    customerUid: reader.first(names.customer),
    quotaBytes: reader.integer(names.quota),
    backupSizeBytes: reader.integer(names.backupSize),
    incrementSizeBytes: reader.integer(names.incrementSize),
    createdAt: reader.generalizedTime(names.createTimestamp),
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) Object.assign(account, { [key]: value });
  // Reading the flag twice (settings and attribute) would note a bad value twice.
  const notes = [...new Set([...reader.notes, ...last.notes])];
  if (notes.length > 0) account.notes = notes;
  return account;
}

export function toPerson(entry: DirectoryEntry, names: AttributeNames): Person {
  const reader = new EntryReader(entry);
  const person: Person = { uid: uidOf(entry, reader, names), dn: entry.dn, ...reader.addresses(names.mail) };
  const optional = {
    givenName: reader.first(names.givenName),
    surname: reader.first(names.surname),
    preferredLanguage: reader.first(names.preferredLanguage),
    timeZoneOffset: reader.first(names.timeZoneOffset),
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) Object.assign(person, { [key]: value });
  if (reader.notes.length > 0) person.notes = reader.notes;
  return person;
}

/**
 * A reseller with the settings of its settings entry; the reseller entry's own warnings flag
 * applies where the settings entry has none.
 */
export function toReseller(
  entry: DirectoryEntry,
  settingsEntry: DirectoryEntry | undefined,
  names: AttributeNames,
): Reseller {
  const reader = new EntryReader(entry);
  const settingsReader = settingsEntry ? new EntryReader(settingsEntry) : undefined;
  const settings = settingsReader ? readSettings(settingsReader, names) : {};
  if (settings.warnings === undefined) {
    const own = warningsFlag(reader, names).value;
    if (own !== undefined) settings.warnings = own;
  }
  const given = reader.first(names.givenName);
  const surname = reader.first(names.surname);
  const name =
    reader.first(names.organizationName) ?? ([given, surname].filter(Boolean).join(" ") || undefined);
  const reseller: Reseller = {
    uid: uidOf(entry, reader, names),
    dn: entry.dn,
    ...reader.addresses(names.mail),
    informPersonUids: reader.all(names.informPerson),
    personUids: reader.all(names.person),
    settings,
  };
  if (name !== undefined) reseller.name = name;
  const language = reader.first(names.preferredLanguage);
  if (language !== undefined) reseller.preferredLanguage = language;
  if (settingsEntry) reseller.settingsDn = settingsEntry.dn;
  const notes = [...reader.notes, ...(settingsReader?.notes.map((note) => `settings entry: ${note}`) ?? [])];
  if (notes.length > 0) reseller.notes = notes;
  return reseller;
}

/** Every attribute name the mapping reads (for the LDAP attribute list; operational ones included). */
export function mappedAttributes(names: AttributeNames): string[] {
  // Passwords are not fetched over LDAP: the self-care portal checks them by binding as the person.
  const { warningsFlag: flags, password: _password, ...single } = names;
  return [...new Set([...flags, ...Object.values(single), "objectClass"])];
}
