import type { Language } from "../config/index.js";
import type { MailAudience } from "./templates/index.js";

/** The first mail about a problem to one recipient: what later mails about it answer. */
export interface ThreadRoot {
  messageId: string;
  subject: string;
}

/** The domain of the sender address: Message-IDs and List-Ids are named after it. */
export const mailDomain = (from: string): string =>
  /@([^>\s]+)/.exec(from)?.[1] ?? "stoney-backup-monitor.invalid";

/** `<selfCareUrl>/accounts/<uid>/settings`: where the self-care portal shows an account's notification settings. */
export const settingsUrl = (selfCareUrl: string, account: string): string =>
  `${selfCareUrl.replace(/\/+$/, "")}/accounts/${encodeURIComponent(account)}/settings`;

const replyPrefix = /^(re|aw|antw|réf|tr|fwd?|wg)\s*:\s*/i;

/** RFC 5256's base subject, enough for our own subjects: without any reply prefix. */
const baseSubject = (subject: string): string => {
  let base = subject.trim();
  while (replyPrefix.test(base)) base = base.replace(replyPrefix, "");
  return base;
};

/**
 * A mail about problems that were mailed before answers the first mail of each (`In-Reply-To` the first,
 * `References` all), so a mail client shows one conversation per problem. A mail about one such problem
 * only keeps that mail's subject stem (`Re: …`), which is what clients that thread by subject need.
 */
export function threadFields(
  subject: string,
  roots: readonly (ThreadRoot | undefined)[],
): { subject: string; headers: Record<string, string> } {
  const known = [...new Map(roots.flatMap((r) => (r ? [[r.messageId, r] as const] : []))).values()];
  const [first] = known;
  if (!first) return { subject, headers: {} };
  const onlyThisThread = known.length === 1 && roots.every((r) => r !== undefined);
  return {
    subject: onlyThisThread ? `Re: ${baseSubject(first.subject)}` : subject,
    headers: { "In-Reply-To": first.messageId, References: known.map((r) => r.messageId).join(" ") },
  };
}

export interface ListOptions {
  audience: MailAudience | "digest";
  language: Language;
  /** The domain of the sender address. */
  domain: string;
  /** The account whose notification settings a customer can change, when the portal is configured. */
  unsubscribe?: string;
  /** Where replies go: a support address read by a human. */
  replyTo?: string;
}

/**
 * `Content-Language`, a `List-Id` per kind of mail (so recipients can filter), and for customers
 * `List-Unsubscribe` with RFC 8058 one-click `List-Unsubscribe-Post`, pointing at the account's
 * notification settings in the self-care portal.
 */
export function listHeaders(options: ListOptions): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Language": options.language,
    "List-Id": `stoney backup ${options.audience} notices <${options.audience}.stoney-backup.${options.domain}>`,
  };
  if (options.replyTo) headers["Reply-To"] = options.replyTo;
  if (options.unsubscribe) {
    headers["List-Unsubscribe"] = `<${options.unsubscribe}>`;
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
  }
  return headers;
}
