import type { AccountDefaults } from "../config/index.js";
import type { Account, NotInformed, Person, Recipient, RecipientResolution, Reseller } from "./model.js";
import { describeSource, type EffectiveSettings } from "./settings.js";

export interface RecipientInput {
  account: Account;
  /** The account's owning person, when found. */
  person?: Person;
  /** The account's resellers that were found (in any order). */
  resellers: readonly Reseller[];
  /** Persons that resellers name in sstInformPersonUID or sstBelongsToPersonUID, by uid. */
  informPersons: ReadonlyMap<string, Person>;
  settings: EffectiveSettings;
}

export interface RecipientOptions {
  /** Reseller mail switched on in the configuration. */
  resellerMail: boolean;
  defaults: AccountDefaults;
}

const fixedOffset = /^([+-])(\d{2}):?(\d{2})$/;

/** The offsets (in minutes) an IANA zone takes in a year: winter and summer time. */
function zoneOffsets(zone: string, year: number): number[] {
  try {
    const format = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "longOffset" });
    return [0, 6].map((month) => {
      const name = format.formatToParts(Date.UTC(year, month, 15)).find((p) => p.type === "timeZoneName");
      const offset = fixedOffset.exec(name?.value.replace(/^GMT/, "") ?? "");
      return offset ? (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
    });
  } catch {
    return [];
  }
}

/** By zone and year: a burst resolves thousands of recipients, and building a formatter costs more than the rest of it. */
const knownOffsets = new Map<string, number[]>();

function offsetsOf(zone: string): number[] {
  const year = new Date().getUTCFullYear();
  const key = `${zone} ${year}`;
  let offsets = knownOffsets.get(key);
  if (offsets === undefined) {
    offsets = zoneOffsets(zone, year);
    // The default zone and a few written ones: a bound in case a directory is full of odd values.
    if (knownOffsets.size < 1000) knownOffsets.set(key, offsets);
  }
  return offsets;
}

/**
 * The zone a person's dates are written in. sstTimeZoneOffset mostly holds a fixed offset such as
 * `+01:00`, which is wrong half the year where clocks change: when it is one of the default zone's
 * offsets (winter or summer), the default IANA zone is meant and gives the summer time right.
 */
export function recipientTimeZone(written: string | undefined, defaultZone: string): string {
  const offset = written === undefined ? null : fixedOffset.exec(written.trim());
  if (written === undefined || !offset) return written ?? defaultZone;
  const minutes = (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
  return offsetsOf(defaultZone).includes(minutes) ? defaultZone : written;
}

/** Each `mail` value of `owner` that is not exactly one address, as a reason nobody is mailed there. */
function noteIgnored(
  notInformed: NotInformed[],
  audience: NotInformed["audience"],
  owner: { uid: string; ignoredMail?: string[] },
): void {
  for (const value of owner.ignoredMail ?? [])
    notInformed.push({
      audience,
      uid: owner.uid,
      reason: `mail ${JSON.stringify(value)} ignored: not exactly one address`,
    });
}

/** Keep the first of addresses that differ only in case. */
function addUnique(recipients: Recipient[], seen: Set<string>, recipient: Recipient): void {
  const key = recipient.address.toLowerCase();
  if (seen.has(key)) return;
  seen.add(key);
  recipients.push(recipient);
}

function customerRecipients(
  input: RecipientInput,
  options: RecipientOptions,
  notInformed: NotInformed[],
): Recipient[] {
  const { account, person, resellers, settings } = input;
  const recipients: Recipient[] = [];
  const uid = account.uid;
  if (!settings.warnings.value) {
    notInformed.push({
      audience: "customer",
      uid,
      reason: `warnings off (${describeSource(settings.warnings)})`,
    });
    return recipients;
  }
  const resellerLanguage = account.resellerUids
    .map((resellerUid) => resellers.find((reseller) => reseller.uid === resellerUid)?.preferredLanguage)
    .find((language) => language !== undefined);
  const language =
    account.preferredLanguage ?? person?.preferredLanguage ?? resellerLanguage ?? options.defaults.language;
  const timeZone = recipientTimeZone(person?.timeZoneOffset, options.defaults.timeZone);
  const seen = new Set<string>();
  noteIgnored(notInformed, "customer", account);
  // The account's own addresses, else those of its owning person.
  if (account.mail.length > 0) {
    for (const address of account.mail)
      addUnique(recipients, seen, {
        address,
        audience: "customer",
        language,
        timeZone,
        source: { kind: "account", uid },
      });
    return recipients;
  }
  if (account.personUid === undefined) {
    notInformed.push({ audience: "customer", uid, reason: "no address" });
    return recipients;
  }
  if (!person) {
    notInformed.push({ audience: "customer", uid, reason: `person ${account.personUid} not found` });
    return recipients;
  }
  noteIgnored(notInformed, "customer", person);
  for (const address of person.mail)
    addUnique(recipients, seen, {
      address,
      audience: "customer",
      language,
      timeZone,
      source: { kind: "person", uid: person.uid },
    });
  if (recipients.length === 0) notInformed.push({ audience: "customer", uid, reason: "no address" });
  return recipients;
}

/** The reseller entry's mail, else its inform persons' mail, else its own persons' mail. */
function resellerRecipients(
  input: RecipientInput,
  options: RecipientOptions,
  notInformed: NotInformed[],
): Recipient[] {
  const recipients: Recipient[] = [];
  const seen = new Set<string>();
  for (const resellerUid of [...new Set(input.account.resellerUids)]) {
    if (!options.resellerMail) {
      notInformed.push({ audience: "reseller", uid: resellerUid, reason: "reseller mail off" });
      continue;
    }
    const reseller = input.resellers.find((candidate) => candidate.uid === resellerUid);
    if (!reseller) {
      notInformed.push({
        audience: "reseller",
        uid: resellerUid,
        reason: `reseller ${resellerUid} not found`,
      });
      continue;
    }
    if (reseller.settings.warnings === false) {
      notInformed.push({
        audience: "reseller",
        uid: resellerUid,
        reason: `reseller ${resellerUid} warnings off`,
      });
      continue;
    }
    const persons = (uids: readonly string[]) =>
      uids
        .map((uid) => input.informPersons.get(uid))
        .filter((person): person is Person => person !== undefined);
    const informPersons = persons(reseller.informPersonUids);
    const ownPersons = persons(reseller.personUids);
    const contact = informPersons[0] ?? ownPersons[0];
    const language = reseller.preferredLanguage ?? contact?.preferredLanguage ?? options.defaults.language;
    const contacts = informPersons.some((person) => person.mail.length > 0) ? informPersons : ownPersons;
    const fromPersons = contacts.flatMap((person) => person.mail.map((address) => ({ address, person })));
    noteIgnored(notInformed, "reseller", reseller);
    if (reseller.mail.length === 0)
      for (const person of contacts) noteIgnored(notInformed, "reseller", person);
    const addresses: { address: string; person?: Person }[] =
      reseller.mail.length > 0 ? reseller.mail.map((address) => ({ address })) : fromPersons;
    if (addresses.length === 0) {
      notInformed.push({
        audience: "reseller",
        uid: resellerUid,
        reason: `reseller ${resellerUid} has no address`,
      });
      continue;
    }
    for (const { address, person } of addresses)
      addUnique(recipients, seen, {
        address,
        audience: "reseller",
        language,
        timeZone: recipientTimeZone(person?.timeZoneOffset, options.defaults.timeZone),
        source: person ? { kind: "person", uid: person.uid } : { kind: "reseller", uid: resellerUid },
        resellerUid,
      });
  }
  return recipients;
}

/**
 * Who gets mail about an account, and who does not and why. Customers are mailed when their
 * warnings flag is on (the account's mail, else the owning person's mail); resellers are informed
 * even where the customer opted out (their support contract).
 */
export function resolveRecipients(input: RecipientInput, options: RecipientOptions): RecipientResolution {
  const notInformed: NotInformed[] = [];
  const recipients = [
    ...customerRecipients(input, options, notInformed),
    ...resellerRecipients(input, options, notInformed),
  ];
  return { accountUid: input.account.uid, recipients, notInformed };
}
