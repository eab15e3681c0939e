import type { Language } from "../../config/index.js";
import { alertTime, annotationInstant, annotationNumber } from "../alert-values.js";
import {
  type AlertStatus,
  type MailAudience,
  type Placeholder,
  type TemplateKey,
  type TemplateTask,
  templateTasks,
  type Values,
} from "./catalog.js";
import { formatDate, formatGiB, formatPercent, formatSince } from "./format.js";
import { type HtmlCard, type HtmlSection, mailHtml, type Tone } from "./layout.js";
import { fill } from "./message.js";

/** One problem listed in a mail: an alert as seen by one recipient. */
export interface MailEntry {
  task: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  /** The account owner's name, for reseller and operator mails. */
  customerName?: string;
  /** How a reseller reaches the account owner (the person's address). */
  customerContact?: string;
  /** The account label names an account the directory does not know. */
  unknownAccount?: boolean;
  /** Why the alert's own recipients could not be mailed; the operators get it instead. */
  undeliverable?: string;
}

/** What the upgrade mail needs about backup clients, by client identifier. */
export interface ClientFacts {
  /** `backup.minimumClientVersions`. */
  minimumVersions: Readonly<Record<string, string>>;
  /** `bridge.templates.clientDownloads`. */
  downloads: Readonly<Record<string, string>>;
}

export interface MailContext {
  audience: MailAudience;
  language: Language;
  timeZone: string;
  /** The self-care portal, when configured; each account's links go to `<selfCareUrl>/accounts/<uid>`. */
  selfCareUrl?: string;
  /** When the mail is written (ms), for "for 3 days, since Tuesday 02:15"; default now. */
  now?: number;
  clients?: ClientFacts;
  /** The notification settings of the mail's one account in the portal (customer mails). */
  settingsUrl?: string;
  /** Name used in the greeting of customer mails. */
  recipientName?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Where template text comes from: an operator override first, then the built-in template. */
export interface TemplateSource {
  override(language: Language, key: TemplateKey): readonly string[] | undefined;
  builtin(language: Language, key: TemplateKey): readonly string[];
  /** An override could not be used for this mail; the built-in one was. */
  fellBack(language: Language, key: TemplateKey, reason: string): void;
}

export const templateTask = (task: string): TemplateTask =>
  (templateTasks as readonly string[]).includes(task) ? (task as TemplateTask) : "generic";

const controlCharacters = /[\p{Cc}\u2028\u2029]+/gu;
const maxValueLength = 500;

/** Label and annotation values are untrusted: one line, bounded length. */
const clean = (value: string): string => {
  const line = value.replace(controlCharacters, " ").trim();
  return line.length > maxValueLength ? `${line.slice(0, maxValueLength - 1)}…` : line;
};

/** An account's page in the self-care portal: where every link about that account goes. */
export const accountPage = (selfCareUrl: string, account: string): string =>
  `${selfCareUrl.replace(/\/+$/, "")}/accounts/${encodeURIComponent(account)}`;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The facts of one entry, formatted for the recipient's language and time zone. */
function entryValues(entry: MailEntry, context: MailContext): Values {
  const { language, timeZone } = context;
  const a = entry.annotations;
  const values: Values = {};
  const set = (key: Placeholder, value: string | undefined) => {
    if (value !== undefined && value.trim() !== "") values[key] = clean(value);
  };
  const dateTime = (date: Date | undefined) => date && formatDate(date, language, timeZone, true);
  set("account", entry.labels.account);
  set("host", entry.labels.host);
  set("alertname", entry.labels.alertname);
  set("severity", entry.labels.severity);
  set("summary", a.summary);
  set("description", a.description);
  set("customer", entry.customerName);
  const used = annotationNumber(a, "used_bytes");
  const quota = annotationNumber(a, "quota_bytes");
  const ratio = annotationNumber(a, "used_ratio") ?? (used !== undefined && quota ? used / quota : undefined);
  set("usedPercent", ratio === undefined ? undefined : formatPercent(ratio, language));
  set("usedGiB", used === undefined ? undefined : formatGiB(used, language));
  set("quotaGiB", quota === undefined ? undefined : formatGiB(quota, language));
  const warning = annotationNumber(a, "warning_ratio");
  set("warningPercent", warning === undefined ? undefined : formatPercent(warning, language));
  set("missed", a.missed_schedules);
  set("threshold", a.threshold);
  set("daysThreshold", a.days_threshold);
  set("failures", a.consecutive_failures);
  const lastSuccess = annotationInstant(a, "last_success_timestamp");
  set("lastSuccess", dateTime(lastSuccess));
  set("lastSuccessDate", lastSuccess && formatDate(lastSuccess, language, timeZone, false));
  set("nextSchedule", dateTime(annotationInstant(a, "next_schedule_timestamp")));
  set("client", a.client_identifier);
  set("clientVersion", a.client_version);
  const created = annotationInstant(a, "created_timestamp");
  set("created", created && formatDate(created, language, timeZone, false));
  set("unreadableFiles", a.metadata_errors);
  const startsAt = alertTime(entry.startsAt);
  set("startsAt", dateTime(startsAt));
  set("endsAt", dateTime(alertTime(entry.endsAt)));
  const now = context.now ?? Date.now();
  if (startsAt && startsAt.getTime() <= now) {
    const age = now - startsAt.getTime();
    set("since", formatSince(startsAt, now, language, timeZone));
    if (age >= DAY_MS) set("sinceDays", String(Math.floor(age / DAY_MS)));
    else if (age >= HOUR_MS) set("sinceHours", String(Math.floor(age / HOUR_MS)));
  }
  const account = entry.labels.account;
  const page =
    context.selfCareUrl && account && context.audience !== "operator"
      ? accountPage(context.selfCareUrl, account)
      : undefined;
  set("accountUrl", page);
  set("selfCareUrl", page ?? context.selfCareUrl);
  const client = a.client_identifier?.trim();
  if (client) {
    set("minimumVersion", context.clients?.minimumVersions[client]);
    set("downloadUrl", context.clients?.downloads[client] ?? page);
  }
  set("contact", entry.customerContact);
  set("reason", entry.undeliverable);
  return values;
}

interface Part {
  text: string;
  html: string;
}

/** Renders with overrides, falling back per key to the built-in templates. */
class Renderer {
  constructor(
    private readonly source: TemplateSource,
    private readonly language: Language,
  ) {}

  choice(key: TemplateKey, values: Values): Part {
    const override = this.source.override(this.language, key);
    if (override) {
      const part = this.firstOf(override, values);
      if (part) return part;
      this.source.fellBack(this.language, key, "no alternative of the override has all its values");
    }
    return this.firstOf(this.source.builtin(this.language, key), values) ?? { text: "", html: "" };
  }

  lines(key: TemplateKey, values: Values): Part[] {
    const templates = this.source.override(this.language, key) ?? this.source.builtin(this.language, key);
    return templates.flatMap((t) => {
      const text = fill(t, values, false, this.language);
      const html = fill(t, values, true, this.language);
      return text === undefined || html === undefined || text.trim() === "" ? [] : [{ text, html }];
    });
  }

  private firstOf(templates: readonly string[], values: Values): Part | undefined {
    for (const t of templates) {
      const text = fill(t, values, false, this.language);
      const html = fill(t, values, true, this.language);
      if (text !== undefined && html !== undefined && text.trim() !== "") return { text, html };
    }
    return undefined;
  }
}

/** Header values never carry line breaks (no header injection), whatever a template or label says. */
export const headerValue = (text: string): string =>
  text.replace(controlCharacters, " ").trim().slice(0, 250);

/** Render one mail listing every entry; pure apart from the fallback notice. */
export function renderMail(
  entries: readonly MailEntry[],
  context: MailContext,
  source: TemplateSource,
): RenderedMail {
  if (entries.length === 0) throw new Error("a mail needs at least one entry");
  const r = new Renderer(source, context.language);
  const base: Values = {};
  const accounts = new Set(entries.map((e) => e.labels.account));
  const [only] = accounts;
  if (context.selfCareUrl)
    base.selfCareUrl =
      accounts.size === 1 && only && context.audience !== "operator"
        ? accountPage(context.selfCareUrl, only)
        : context.selfCareUrl;
  if (context.settingsUrl) base.settingsUrl = context.settingsUrl;
  if (context.recipientName) base.name = clean(context.recipientName);

  const blocks = entries.map((entry) => {
    const task = templateTask(entry.task);
    const values = entryValues(entry, context);
    values.title = r.choice(`title.${task}.${entry.status}`, values).text;
    const heading = r.choice(`heading.${context.audience}`, values);
    const facts = r.lines(`facts.${task}.${entry.status}`, values);
    if (entry.unknownAccount) facts.unshift(...r.lines("facts.unknownAccount", values));
    if (entry.undeliverable) facts.unshift(...r.lines("facts.undeliverable", values));
    const firing = entry.status === "firing";
    if (firing && task !== "generic") {
      const since = r.choice("since.firing", values);
      if (since.text) facts.push(since);
      facts.push(...r.lines(`why.${task}`, values));
    }
    const steps = !firing
      ? []
      : context.audience === "customer"
        ? r.lines(`advice.${task}`, values)
        : context.audience === "reseller"
          ? [r.choice(`ask.${task}`, values)].filter((p) => p.text !== "")
          : [];
    return { entry, task, values, heading, facts, steps };
  });

  const firing = entries.filter((e) => e.status === "firing").length;
  const solved = entries.length - firing;
  let subject: Part;
  const [first] = blocks;
  if (blocks.length === 1 && first) {
    subject = r.choice(`subject.${first.task}.${first.entry.status}`, first.values);
  } else {
    const counts: Values = {
      ...base,
      count: String(entries.length),
      problems: String(firing),
      solved: String(solved),
    };
    const kind = solved === 0 ? "firing" : firing === 0 ? "resolved" : "mixed";
    subject = r.choice(`subject.coalesced.${kind}`, counts);
  }

  // One card per account, in the order the problems came, with the one button to the account's page.
  const cards = new Map<string, typeof blocks>();
  for (const block of blocks) {
    const key = block.values.accountUrl ?? `entry ${cards.size}`;
    cards.set(key, [...(cards.get(key) ?? []), block]);
  }
  const stepsLabel = r.choice("label.steps", base);
  const links = [...cards.values()].map((group) => {
    const [head] = group;
    const values = head?.values ?? {};
    return values.accountUrl
      ? { button: r.choice("button.account", values), link: r.lines("link.account", values) }
      : undefined;
  });

  const greeting = r.choice(`greeting.${context.audience}`, base);
  const intro = r.lines(`intro.${context.audience}`, base);
  const footer = r.lines(`footer.${context.audience}`, base);

  const text = [
    greeting.text,
    "",
    ...intro.map((p) => p.text),
    "",
    ...[...cards.values()].flatMap((group, i) => [
      ...group.flatMap((b) => [
        `* ${b.heading.text}`,
        ...b.facts.map((f) => `  ${f.text}`),
        ...(b.steps.length > 0
          ? [`  ${stepsLabel.text}`, ...b.steps.map((step, n) => `  ${n + 1}. ${step.text}`)]
          : []),
        "",
      ]),
      ...(links[i]?.link.flatMap((l) => [l.text, ""]) ?? []),
    ]),
    "-- ",
    ...footer.map((p) => p.text),
    "",
  ].join("\n");

  const tone = (b: (typeof blocks)[number]): Tone =>
    b.entry.status === "resolved"
      ? "solved"
      : b.task === "generic"
        ? "info"
        : b.entry.labels.severity === "critical" || b.task === "unsuccessful" || b.task === "schedule"
          ? "failing"
          : "warning";
  const htmlCards: HtmlCard[] = [...cards.values()].map((group, i) => {
    const sections: HtmlSection[] = group.map((b) => ({
      tone: tone(b),
      heading: b.heading.html,
      lines: [
        ...b.facts.map((f) => f.html),
        ...(b.steps.length > 0 ? [`<strong>${stepsLabel.html}</strong>`] : []),
      ],
      steps: b.steps.map((step) => step.html),
    }));
    const link = links[i];
    const href = group[0]?.values.accountUrl;
    return { sections, ...(link && href ? { button: { href, label: link.button.html } } : {}) };
  });
  const html = mailHtml({
    language: context.language,
    title: subject.text,
    preheader: blocks.map((b) => b.values.title).join(" · "),
    greeting: greeting.html,
    intro: intro.map((p) => p.html),
    cards: htmlCards,
    footer: footer.map((p) => p.html),
  });

  return { subject: headerValue(subject.text), text, html };
}
