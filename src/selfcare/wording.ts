import type { HistoryRow } from "../bridge/index.js";
import { type SettingName, settingNames } from "../directory/index.js";
import type { MessageKey, Translate } from "./i18n.js";
import type { AuditEntry } from "./store.js";
import type { Formats } from "./time.js";

/**
 * The bridge and the directory record what happened in English for the operators (`history`,
 * `explain`); these functions turn those records into the person's language. A record they do not
 * know becomes a general wording, never the English original.
 */

const isSetting = (name: string): name is SettingName => (settingNames as readonly string[]).includes(name);

/** The directory's reasons (English, for `explain`) and their words; `uid` is the first group. */
const reasons: readonly [RegExp, MessageKey][] = [
  [/^warnings off/, "reason.warningsOff"],
  [/^no address$/, "reason.noAddress"],
  [/^reseller mail off$/, "reason.resellerMailOff"],
  [/^person (\S+) not found$/, "reason.personMissing"],
  [/^reseller (\S+) not found$/, "reason.resellerMissing"],
  [/^reseller (\S+) warnings off$/, "reason.resellerWarningsOff"],
  [/^reseller (\S+) has no address$/, "reason.resellerNoAddress"],
  [/^mail .* ignored: not exactly one address$/, "reason.badAddress"],
];

/** Why someone is not mailed (the directory's `notInformed` reasons, also the bridge's suppressions). */
export function reasonText(t: Translate, reason: string): string {
  for (const [pattern, key] of reasons) {
    const match = pattern.exec(reason);
    if (match) return t(key, { uid: match[1] ?? "" });
  }
  return t("reason.other");
}

/** What became of a mail (the outcome column of the bridge's history). */
export function outcomeText(t: Translate, f: Formats, outcome: string): string {
  // "pending (421 try later)": the bridge appends the last error, which is for the operators.
  const withError = /^(\w+) \(.*\)$/s.exec(outcome);
  const state = withError ? (withError[1] ?? "") : outcome;
  switch (state) {
    case "sent":
      return t("outcome.sent");
    case "pending":
    case "sending":
      return t(withError ? "outcome.retrying" : "outcome.sending");
    case "queued":
      return t("outcome.queued");
    case "held":
      return t("outcome.held");
    case "waiting for the directory":
      return t("outcome.waiting");
    case "rejected":
      return t("outcome.rejected");
    case "dead":
      return t("outcome.dead");
  }
  if (outcome.startsWith("dead: ")) return t("outcome.dead");
  if (!outcome.startsWith("suppressed: ")) return t("outcome.suppressed");
  const reason = outcome.slice("suppressed: ".length);
  const paused = /^paused by (\S+) until (\S+)$/.exec(reason);
  if (paused) return t("outcome.paused", { uid: paused[1] ?? "", until: f.dateTime(paused[2] ?? "") });
  if (reason === "duplicate") return t("outcome.duplicate");
  if (reason === "nobody to inform") return t("outcome.nobody");
  if (reason === "solved before its warning was mailed") return t("outcome.solved");
  if (reason === "resolved mails off") return t("outcome.resolvedOff");
  const why = reasonText(t, reason);
  return why === t("reason.other") ? t("outcome.suppressed") : `${t("outcome.suppressed")}: ${why}`;
}

/** The kind of a mail: its task and whether it warned or gave the all-clear. */
export function mailKindText(t: Translate, row: Pick<HistoryRow, "task" | "status">): string {
  const known = ["quota", "schedule", "unsuccessful", "upgrade", "nobackup", "unreadable"];
  const task = t(known.includes(row.task) ? (`task.${row.task}` as MessageKey) : "task.other");
  const status = row.status === "firing" || row.status === "resolved" ? t(`mailStatus.${row.status}`) : "";
  return status ? `${task} (${status})` : task;
}

/** A value of a setting as the directory holds it (`TRUE`, `90`) in words. */
const settingValueText = (t: Translate, value: string | undefined): string | undefined =>
  value === undefined
    ? undefined
    : /^true$/i.test(value)
      ? t("on")
      : /^false$/i.test(value)
        ? t("off")
        : value;

/** One audit entry in words: what changed, from what, to what. */
export function auditText(
  t: Translate,
  f: Formats,
  entry: AuditEntry,
): { what: string; old?: string; new?: string } {
  const time = (value: string | undefined) => (value === undefined ? undefined : f.dateTime(value));
  const setting = /^setting (\w+)$/.exec(entry.action)?.[1];
  if (setting !== undefined && isSetting(setting))
    return defined({
      what: t("audit.setting", { setting: t(`setting.${setting}`) }),
      old: settingValueText(t, entry.oldValue),
      new: settingValueText(t, entry.newValue),
    });
  if (entry.action === "pause") return defined({ what: t("audit.pause"), new: time(entry.newValue) });
  if (entry.action === "pause ended")
    return defined({ what: t("audit.pauseEnded"), old: time(entry.oldValue) });
  return { what: t("audit.other") };
}

const defined = (text: { what: string; old?: string | undefined; new?: string | undefined }) =>
  Object.fromEntries(Object.entries(text).filter(([, v]) => v !== undefined)) as {
    what: string;
    old?: string;
    new?: string;
  };
