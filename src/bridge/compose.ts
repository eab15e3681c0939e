import type { BridgeConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { listHeaders, mailDomain, settingsUrl, threadFields } from "./headers.js";
import type { NewMail, QueuedItem } from "./outbox.js";
import {
  type ClientFacts,
  type MailAudience,
  type RenderedMail,
  renderMail,
  type TemplateSource,
  toLanguage,
} from "./templates/index.js";
import { unsubscribeUrl } from "./unsubscribe.js";

export interface ComposeOptions {
  config: BridgeConfig;
  /** Time zone of operator mails (the directory's default zone). */
  operatorTimeZone: string;
  templates: TemplateSource;
  /** Built-in templates only: the last resort when an override breaks rendering. */
  builtinTemplates: TemplateSource;
  logger: Logger;
  /** Minimum versions and download pages of backup clients, for upgrade mails. */
  clients?: ClientFacts;
  /**
   * When the mail is composed (Unix ms): "for 3 days" counts to it, and its unsubscribe link works for
   * `unsubscribe.linkDays` from then. Default now.
   */
  now?: number;
}

/**
 * Where replies to a customer's or reseller's mail go: the reseller's support address when every item
 * names the same one, else the operator's; operators' own mails have none.
 */
export const replyAddress = (
  audience: MailAudience,
  items: readonly QueuedItem[],
  operatorSupport: string | undefined,
): string | undefined => {
  if (audience === "operator") return undefined;
  const named = new Set(items.map((i) => i.entry.support));
  const [only] = named;
  return named.size === 1 && only !== undefined ? only : operatorSupport;
};

function render(
  audience: MailAudience,
  items: readonly QueuedItem[],
  settings: string | undefined,
  options: ComposeOptions,
): RenderedMail {
  const [first] = items;
  const { templates } = options.config;
  const context = {
    audience,
    language: toLanguage(first?.recipient.language, templates.defaultLanguage),
    timeZone: first?.recipient.timeZone ?? options.operatorTimeZone,
    selfCareUrl: templates.selfCareUrl,
    ...(options.clients ? { clients: options.clients } : {}),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(settings ? { settingsUrl: settings } : {}),
    ...(first?.recipient.name ? { recipientName: first.recipient.name } : {}),
    stillOpen: items.flatMap((i) => i.stillOpen ?? []),
  };
  const entries = items.map((i) => i.entry);
  try {
    return renderMail(entries, context, options.templates);
  } catch (error) {
    options.logger.warn({ err: error }, "rendering with template overrides failed: built-in templates used");
    return renderMail(entries, context, options.builtinTemplates);
  }
}

/**
 * The mail to one recipient listing all its items: rendered in the recipient's language, answering the
 * first mail of each problem it continues, with the list headers. Pure apart from the fallback notice;
 * the pipeline and `preview` compose the same way.
 */
export function composeMail(items: readonly QueuedItem[], options: ComposeOptions): NewMail {
  const [first] = items;
  if (!first) throw new Error("a mail needs at least one item");
  const { recipient } = first;
  const accounts = [...new Set(items.flatMap((i) => (i.account ? [i.account] : [])))];
  const { selfCareUrl, defaultLanguage } = options.config.templates;
  const [account] = accounts;
  const settings =
    recipient.audience === "customer" && account && accounts.length === 1
      ? settingsUrl(selfCareUrl, account)
      : undefined;
  const rendered = render(recipient.audience, items, settings, options);
  const thread = threadFields(
    rendered.subject,
    items.map((i) => i.thread),
  );
  // Operators cannot unsubscribe from the alerts they run the service with.
  const unsubscribe =
    recipient.audience === "operator"
      ? undefined
      : unsubscribeUrl(
          options.config,
          recipient.address,
          account !== undefined && accounts.length === 1 ? `alerts:${account}` : "alerts",
          options.now ?? Date.now(),
        );
  const list = listHeaders({
    audience: recipient.audience,
    language: toLanguage(recipient.language, defaultLanguage),
    domain: mailDomain(options.config.smtp.from),
    replyTo: replyAddress(recipient.audience, items, options.config.replyTo),
    ...(unsubscribe ? { unsubscribe } : {}),
  });
  return {
    recipient,
    ...rendered,
    subject: thread.subject,
    headers: { ...list, ...thread.headers },
    accounts,
    tasks: [...new Set(items.map((i) => i.task))],
  };
}
