import type { Language } from "../../config/index.js";
import { alertTime, annotationInstant, annotationNumber } from "../alert-values.js";
import {
  type AlertStatus,
  type ChangeableTask,
  changeableTasks,
  type MailAudience,
  type Placeholder,
  type TemplateKey,
  type TemplateTask,
  templateTasks,
  type Values,
} from "./catalog.js";
import { formatDate, formatGiB, formatPercent, formatSince } from "./format.js";
import { type HtmlCard, type HtmlSection, mailHtml, sectionHtml, type Tone } from "./layout.js";
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
  /**
   * How a resolved problem's mail may speak of it, from the exporter's present state (see present.ts):
   * `changed`, no longer warned about because a setting changed; `unconfirmed`, the state could not be
   * checked. Absent: the state shows it solved.
   */
  resolution?: "changed" | "unconfirmed";
  /** Where this recipient's replies should go instead of the operator's support address (the reseller's, for its customers). */
  support?: string;
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
  /** Problems mailed before in the conversations this mail continues, not solved yet. */
  stillOpen?: readonly MailEntry[];
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
  const full = annotationInstant(a, "full_timestamp");
  set("fullDate", full && formatDate(full, language, timeZone, false));
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

/** One problem (an alert's labels and startsAt), to tell entries about the same problem apart. */
const problemKey = (entry: MailEntry): string => `${JSON.stringify(entry.labels)} ${entry.startsAt}`;

/** The keys of an entry's subject, title and facts: by its status, and for resolutions by what the present showed. */
function entryKeys(
  entry: MailEntry,
  task: TemplateTask,
): { subject: TemplateKey; title: TemplateKey; facts: TemplateKey } {
  if (entry.status === "resolved" && entry.resolution === "unconfirmed")
    return { subject: "subject.unconfirmed", title: "title.unconfirmed", facts: "facts.unconfirmed" };
  if (
    entry.status === "resolved" &&
    entry.resolution === "changed" &&
    (changeableTasks as readonly string[]).includes(task)
  ) {
    const changeable = task as ChangeableTask;
    return {
      subject: `subject.${changeable}.changed`,
      title: `title.${changeable}.changed`,
      facts: `facts.${changeable}.changed`,
    };
  }
  return {
    subject: `subject.${task}.${entry.status}`,
    title: `title.${task}.${entry.status}`,
    facts: `facts.${task}.${entry.status}`,
  };
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
    const keys = entryKeys(entry, task);
    // An unconfirmed resolution names the problem as it was reported: "No longer reported: storage almost full".
    if (keys.title === "title.unconfirmed") values.title = r.choice(`title.${task}.firing`, values).text;
    values.title = r.choice(keys.title, values).text;
    const heading = r.choice(`heading.${context.audience}`, values);
    const facts = r.lines(keys.facts, values);
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
    return { entry, task, keys, values, heading, facts, steps };
  });

  // Problems of the conversations this mail continues that are still open, named without their old
  // figures (those were true when they were mailed, not necessarily now).
  const inMail = new Set(entries.map(problemKey));
  const open = [
    ...new Map((context.stillOpen ?? []).map((entry) => [problemKey(entry), entry])).values(),
  ].filter((entry) => !inMail.has(problemKey(entry)));
  const openHeadings = open.map((entry) => {
    const values = entryValues({ ...entry, annotations: {} }, context);
    values.title = r.choice(`title.${templateTask(entry.task)}.firing`, values).text;
    return r.choice(`heading.${context.audience}`, values);
  });

  const firing = entries.filter((e) => e.status === "firing").length;
  const solved = entries.length - firing;
  const partial =
    solved > 0 && firing + open.length > 0
      ? r.lines("intro.partial", { solved: String(solved), problems: String(firing + open.length) })
      : [];
  let subject: Part;
  const [first] = blocks;
  if (blocks.length === 1 && first) {
    subject = r.choice(first.keys.subject, first.values);
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

  const stillOpen = open.length > 0 ? r.lines("intro.stillOpen", base) : [];

  const text = [
    ...partial.flatMap((p) => [p.text, ""]),
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
    ...(openHeadings.length > 0
      ? [...stillOpen.map((p) => p.text), ...openHeadings.map((h) => `* ${h.text}`), ""]
      : []),
    "-- ",
    ...footer.map((p) => p.text),
    "",
  ].join("\n");

  const tone = (b: (typeof blocks)[number]): Tone =>
    b.entry.status === "resolved"
      ? b.entry.resolution
        ? "info"
        : "solved"
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
    // A partial resolution's first line says what is solved and what is still open, also in the inbox.
    preheader:
      partial.length > 0
        ? partial.map((p) => p.text).join(" ")
        : blocks.map((b) => b.values.title).join(" · "),
    lead: partial.map((p) => p.html),
    greeting: greeting.html,
    intro: intro.map((p) => p.html),
    cards: htmlCards,
    ...(openHeadings.length > 0
      ? {
          after: [
            ...stillOpen.map((p) => `<p style="margin:8px 0 10px">${p.html}</p>`),
            ...openHeadings.map((h) => sectionHtml({ tone: "warning", heading: h.html, lines: [] })),
          ],
        }
      : {}),
    footer: footer.map((p) => p.html),
  });

  return { subject: headerValue(subject.text), text, html };
}
