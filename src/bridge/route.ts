import type { Language } from "../config/index.js";
import type { Account, Person, RecipientResolution, Reseller } from "../directory/model.js";
import type { MailRecipient, ProblemState, RoutedItem, StoredAlert } from "./outbox.js";
import { type MailEntry, templateTask, toLanguage } from "./templates/index.js";

/** What the bridge needs of one account the directory knows (a subset of the directory's lookup result). */
export interface ResolvedAccount {
  account: Account;
  person?: Person;
  resolution: RecipientResolution;
  /** The account's resellers: their own `mail` is their customers' support address. */
  resellers?: readonly Reseller[];
}

export interface AccountLookup {
  found: Map<string, ResolvedAccount>;
  unknown: string[];
}

/**
 * The recipient-resolver stage: many account uids in, their recipients out, in as few directory
 * searches as the directory allows. Rejects when the directory cannot answer; the alerts then wait.
 */
export type RecipientResolver = (uids: readonly string[]) => Promise<AccountLookup>;

export interface RouteOptions {
  operators: readonly string[];
  /** Resolved mails per template task (quota, …, generic). */
  resolvedMails: Partial<Record<string, boolean>>;
  defaultLanguage: Language;
  /** Time zone for operator mails. */
  operatorTimeZone: string;
}

/** Operator alerts and alerts without an account never need the directory. */
export const needsDirectory = (alert: StoredAlert): alert is StoredAlert & { account: string } =>
  alert.account !== undefined && alert.labels.audience !== "operator";

const personName = (person: Person | undefined): string | undefined => {
  const name = [person?.givenName, person?.surname].filter(Boolean).join(" ");
  return name === "" ? undefined : name;
};

const toEntry = (alert: StoredAlert, extra: Partial<MailEntry> = {}): MailEntry => ({
  task: alert.task,
  status: alert.status,
  labels: alert.labels,
  annotations: alert.annotations,
  startsAt: alert.startsAt,
  ...(alert.endsAt ? { endsAt: alert.endsAt } : {}),
  ...extra,
});

function toOperators(options: RouteOptions, entry: MailEntry): RoutedItem[] {
  if (options.operators.length === 0)
    return [{ kind: "suppressed", audience: "operator", reason: "no operator address configured", entry }];
  return options.operators.map((address) => ({
    kind: "queued",
    recipient: {
      address,
      audience: "operator",
      language: options.defaultLanguage,
      timeZone: options.operatorTimeZone,
    },
    entry,
  }));
}

/** The alert's own recipients cannot be mailed (why: `reason`): the operators hear of it instead. */
export const routeUndeliverable = (alert: StoredAlert, reason: string, options: RouteOptions): RoutedItem[] =>
  toOperators(options, toEntry(alert, { undeliverable: reason }));

/**
 * The address a customer's replies go to: its reseller's own `mail` (the company address of the reseller
 * entry, not a person's), when the account has exactly one such address; undefined otherwise, so the
 * operator's support address is used.
 */
export const resellerSupport = (resolved: ResolvedAccount): string | undefined => {
  const addresses = new Set(
    (resolved.resellers ?? []).flatMap((r) => r.mail.slice(0, 1).map((m) => m.toLowerCase())),
  );
  const [only] = addresses;
  return addresses.size === 1 ? only : undefined;
};

/**
 * A problem solved while its warning still waited (held during a running backup, or for the directory)
 * is news to nobody: neither the late warning nor the resolution is mailed.
 */
const solvedBeforeMailed = (alert: StoredAlert, problem: ProblemState): boolean =>
  alert.status === "firing" ? problem.resolved : problem.waiting && !problem.announced;

/**
 * Decide who hears about one alert (pure). Every outcome is an item: a mail to queue, or a
 * recorded reason why nobody is mailed ("warnings off", "resolved mails off", …).
 */
export function routeAlert(
  alert: StoredAlert,
  lookup: AccountLookup | undefined,
  options: RouteOptions,
  problem?: ProblemState,
): RoutedItem[] {
  if (problem && solvedBeforeMailed(alert, problem))
    return [{ kind: "suppressed", reason: "solved before its warning was mailed", entry: toEntry(alert) }];
  const task = templateTask(alert.task);
  if (alert.status === "resolved" && options.resolvedMails[task] === false)
    return [{ kind: "suppressed", reason: "resolved mails off", entry: toEntry(alert) }];
  if (!needsDirectory(alert)) return toOperators(options, toEntry(alert));

  const resolved = lookup?.found.get(alert.account);
  if (!resolved) return toOperators(options, toEntry(alert, { unknownAccount: true }));

  const customerName = personName(resolved.person);
  const entry = toEntry(alert, customerName ? { customerName } : {});
  const { recipients, notInformed } = resolved.resolution;
  const support = resellerSupport(resolved);
  const customerEntry = support ? { ...entry, support } : entry;
  const items: RoutedItem[] = recipients.map((r) => {
    const recipient: MailRecipient = {
      address: r.address,
      audience: r.audience,
      language: toLanguage(r.language, options.defaultLanguage),
      timeZone: r.timeZone,
      ...(r.audience === "customer" && customerName ? { name: customerName } : {}),
    };
    return { kind: "queued", recipient, entry: r.audience === "customer" ? customerEntry : entry };
  });
  for (const n of notInformed)
    items.push({ kind: "suppressed", audience: n.audience, reason: n.reason, entry });
  if (items.length === 0) items.push({ kind: "suppressed", reason: "nobody to inform", entry });
  return items;
}
