import type { DirectoryConfig } from "../config/index.js";
import { type AccountRecipients, lookUpAccounts } from "./lookup.js";
import type { Account, Directory, Person, Recipient, Reseller } from "./model.js";
import { type EffectiveSetting, settingNames } from "./settings.js";

const iso = (date: Date): string => date.toISOString().replace(/\.000Z$/, "Z");
const orNone = (value: string | undefined, none = "(not set)"): string => value ?? none;
const list = (values: readonly string[]): string => (values.length > 0 ? values.join(", ") : "(none)");

const personLine = (person: Person): string =>
  [
    person.uid,
    [person.givenName, person.surname].filter(Boolean).join(" "),
    person.mail.length > 0 ? `<${person.mail.join(">, <")}>` : "(no mail)",
    person.preferredLanguage,
    person.timeZoneOffset,
  ]
    .filter(Boolean)
    .join("  ");

const resellerLine = (reseller: Reseller): string =>
  [
    reseller.uid,
    reseller.name,
    reseller.mail.length > 0 ? `<${reseller.mail.join(">, <")}>` : "(no mail on the entry)",
    reseller.preferredLanguage,
    reseller.informPersonUids.length > 0 ? `inform ${reseller.informPersonUids.join(", ")}` : undefined,
    reseller.settingsDn ? "settings entry" : "no settings entry",
  ]
    .filter(Boolean)
    .join("  ");

const settingLabels: Record<(typeof settingNames)[number], string> = {
  warnings: "warnings",
  quotaWarningPercent: "quota warning percent",
  missedBackupsThreshold: "missed backups threshold",
  missedDaysThreshold: "days without backup threshold",
  failuresThreshold: "failed backups threshold",
  quotaFullDays: "quota full within days",
};

function settingLine(
  name: (typeof settingNames)[number],
  setting: EffectiveSetting<boolean | number>,
  flag?: string,
) {
  const value = typeof setting.value === "boolean" ? (setting.value ? "on" : "off") : String(setting.value);
  const source =
    setting.source === "reseller"
      ? `reseller ${setting.resellerUid}'s settings entry`
      : setting.source === "config"
        ? "configuration default"
        : name === "warnings" && flag
          ? `account, ${flag}`
          : "account";
  return `  ${settingLabels[name].padEnd(31)} ${value.padEnd(5)} (${source})`;
}

function why(recipient: Recipient, found: AccountRecipients): string {
  const { source } = recipient;
  if (recipient.audience === "customer")
    return source.kind === "account"
      ? "the account's mail"
      : `mail of person ${source.uid}, the account's owner; the account has no mail`;
  if (source.kind === "reseller") return `reseller ${recipient.resellerUid}'s own mail`;
  const reseller = found.resellers.find((candidate) => candidate.uid === recipient.resellerUid);
  const role = reseller?.informPersonUids.includes(source.uid) ? "sstInformPersonUID" : "person";
  return `mail of person ${source.uid}, ${role} of reseller ${recipient.resellerUid}; no mail on the reseller entry`;
}

/** Where the exporter reads an account's home: homeDirectory (maybe under another prefix), else `<root>/<uid>`. */
export type HomeLocator = (account: Account) => string;

/** The `home` line: homeDirectory, and where the exporter reads it when that differs. */
function homeLine(account: Account, homeOf: HomeLocator | undefined): string {
  if (!homeOf) return account.home ?? "(not set)";
  const read = homeOf(account);
  if (account.home === undefined) return `${read} (no homeDirectory)`;
  return read === account.home ? account.home : `${account.home} (read at ${read})`;
}

/** The text `explain` prints for one account: its directory data, settings with sources, and recipients. */
export function formatExplanation(
  found: AccountRecipients,
  config: DirectoryConfig,
  homeOf?: HomeLocator,
): string {
  const { account, person, resellers, settings, resolution } = found;
  const lines = [`account ${account.uid}`];
  const field = (label: string, value: string) => lines.push(`  ${label.padEnd(24)} ${value}`);
  field("dn", account.dn);
  field("active", account.active ? "yes" : "no (not monitored)");
  field("home", homeLine(account, homeOf));
  field("mail", list(account.mail));
  field("preferred language", orNone(account.preferredLanguage));
  field(
    "warnings flag",
    account.warningsFlagAttribute
      ? `${account.settings.warnings ? "TRUE" : "FALSE"} (${account.warningsFlagAttribute})`
      : `(none of ${config.attributes.warningsFlag.join(", ")})`,
  );
  field(
    "person",
    account.personUid ? (person ? personLine(person) : `${account.personUid} (not found)`) : "(not set)",
  );
  field(
    "resellers",
    account.resellerUids.length > 0
      ? account.resellerUids
          .map((uid) => {
            const reseller = resellers.find((candidate) => candidate.uid === uid);
            return reseller ? resellerLine(reseller) : `${uid} (not found)`;
          })
          .join("\n".padEnd(28))
      : "(none)",
  );
  field("customer", orNone(account.customerUid));
  if (account.quotaBytes !== undefined || account.backupSizeBytes !== undefined) {
    const used = (account.backupSizeBytes ?? 0) + (account.incrementSizeBytes ?? 0);
    const percent = account.quotaBytes ? ` = ${((used / account.quotaBytes) * 100).toFixed(1)} %` : "";
    field(
      "quota",
      `${account.quotaBytes ?? "?"} bytes; used ${account.backupSizeBytes ?? 0} + ${account.incrementSizeBytes ?? 0} increments${percent}`,
    );
  } else field("quota", "(not set)");
  field(
    "last successful backups",
    account.lastSuccessfulBackup.size > 0
      ? [...account.lastSuccessfulBackup].map(([host, date]) => `${host} ${iso(date)}`).join(", ")
      : "(none)",
  );
  field("created", account.createdAt ? iso(account.createdAt) : "(unknown)");
  for (const note of account.notes ?? []) field("note", note);
  lines.push("settings");
  for (const name of settingNames)
    lines.push(settingLine(name, settings[name], account.warningsFlagAttribute));
  lines.push("mailed");
  if (resolution.recipients.length === 0) lines.push("  nobody");
  for (const recipient of resolution.recipients)
    lines.push(
      `  ${recipient.audience.padEnd(9)} ${recipient.address}  ${recipient.language}  ${recipient.timeZone}  (${why(recipient, found)})`,
    );
  if (resolution.notInformed.length > 0) {
    lines.push("not mailed");
    for (const item of resolution.notInformed)
      lines.push(`  ${item.audience.padEnd(9)} ${item.uid}: ${item.reason}`);
  }
  return lines.join("\n");
}

/** More lines about an account from outside the directory (the recipients' own choices). */
export type ExplainMore = (found: AccountRecipients) => Promise<string[]>;

/** Explain accounts by uid; unknown uids are returned, not thrown. */
export async function explainAccounts(
  directory: Directory,
  uids: readonly string[],
  config: DirectoryConfig,
  homeOf?: HomeLocator,
  more?: ExplainMore,
): Promise<{ text: string; unknown: string[] }> {
  const { found, unknown } = await lookUpAccounts(directory, uids, config);
  const texts = await Promise.all(
    [...found.values()].map(async (item) =>
      [formatExplanation(item, config, homeOf), ...((await more?.(item)) ?? [])].join("\n"),
    ),
  );
  return { text: texts.join("\n\n"), unknown };
}

/** One line of check-config output: `directory <url>: ok (...)` or `... FAILED: reason`. */
export async function describeDirectoryCheck(
  directory: Directory,
  url: string,
): Promise<{ ok: boolean; line: string }> {
  try {
    return { ok: true, line: `directory ${url}: ok (${await directory.check()})` };
  } catch (error) {
    return { ok: false, line: `directory ${url}: FAILED: ${(error as Error).message}` };
  }
}
