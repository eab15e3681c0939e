import type { Language } from "../config/index.js";
import {
  type Account,
  DirectoryError,
  type Person,
  type RecipientResolution,
  type Reseller,
} from "../directory/model.js";
import { uidProblem } from "../directory/uid.js";
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

/** A look-up of many uids: what was found, and why each of the uids whose look-up failed on its own failed. */
export interface BisectedLookup extends AccountLookup {
  failed: Map<string, string>;
}

const failureText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Look up `uids`, and when the look-up fails, the two halves of them, and so on down to single
 * uids: a failure that belongs to one uid (a request the directory will not take) holds back none
 * of the others, and costs about two look-ups per halving. A failure of the directory itself
 * (`DirectoryError.unavailable`: unreachable, bind refused, too slow) is rethrown at once: no
 * smaller look-up could succeed, and every alert waits for the directory.
 */
export async function lookUpBisecting(
  resolve: RecipientResolver,
  uids: readonly string[],
): Promise<BisectedLookup> {
  const result: BisectedLookup = { found: new Map(), unknown: [], failed: new Map() };
  const visit = async (part: readonly string[]): Promise<void> => {
    let lookup: AccountLookup;
    try {
      lookup = await resolve(part);
    } catch (error) {
      if (error instanceof DirectoryError && error.unavailable) throw error;
      if (part.length === 1) {
        result.failed.set(part[0] as string, failureText(error));
        return;
      }
      const middle = Math.ceil(part.length / 2);
      await visit(part.slice(0, middle));
      await visit(part.slice(middle));
      return;
    }
    for (const [uid, resolved] of lookup.found) result.found.set(uid, resolved);
    result.unknown.push(...lookup.unknown);
  };
  await visit(uids);
  return result;
}

export interface RouteOptions {
  operators: readonly string[];
  /** Resolved mails per template task (quota, …, generic). */
  resolvedMails: Partial<Record<string, boolean>>;
  defaultLanguage: Language;
  /** Time zone for operator mails. */
  operatorTimeZone: string;
}

/**
 * The account label of an alert whose recipients the directory names; operator alerts go to the
 * operators whatever account they name.
 */
export const directoryAccount = (labels: Readonly<Record<string, string>>): string | undefined =>
  labels.audience === "operator" ? undefined : labels.account;

/** Why an alert's account label cannot name a directory entry (so its recipients cannot be found), if it cannot. */
export const accountLabelProblem = (labels: Readonly<Record<string, string>>): string | undefined => {
  const account = directoryAccount(labels);
  const problem = account === undefined ? undefined : uidProblem(account);
  return problem === undefined ? undefined : `the account label ${problem}`;
};

/** Operator alerts, alerts without an account and those whose account label is no uid never need the directory. */
export const needsDirectory = (alert: StoredAlert): alert is StoredAlert & { account: string } =>
  alert.account !== undefined &&
  directoryAccount(alert.labels) !== undefined &&
  accountLabelProblem(alert.labels) === undefined;

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
  const labelProblem = accountLabelProblem(alert.labels);
  if (labelProblem !== undefined) return routeUndeliverable(alert, labelProblem, options);
  if (!needsDirectory(alert)) return toOperators(options, toEntry(alert));

  const resolved = lookup?.found.get(alert.account);
  if (!resolved) return toOperators(options, toEntry(alert, { unknownAccount: true }));

  const customerName = personName(resolved.person);
  // How a reseller reaches the customer: the address the customer's own mails go to.
  const customerContact = resolved.account.mail[0] ?? resolved.person?.mail[0];
  const entry = toEntry(alert, {
    ...(customerName ? { customerName } : {}),
    ...(customerContact ? { customerContact } : {}),
  });
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
