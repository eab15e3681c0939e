import { type Language, type Task, tasks } from "../../config/index.js";

export type TemplateTask = Task | "generic";
export type AlertStatus = "firing" | "resolved";
export type MailAudience = "customer" | "reseller" | "operator";

export const templateTasks: readonly TemplateTask[] = [...tasks, "generic"];
const mailAudiences: readonly MailAudience[] = ["customer", "reseller", "operator"];
const statuses: readonly AlertStatus[] = ["firing", "resolved"];

/** Tasks whose warning an account's setting can end (a threshold raised or switched off) without solving it. */
export type ChangeableTask = "quota" | "schedule" | "unsuccessful";
export const changeableTasks: readonly ChangeableTask[] = ["quota", "schedule", "unsuccessful"];

/**
 * Every template is a list of `{{placeholder}}` strings. Keys starting with `subject.`, `title.`,
 * `greeting.`, `heading.`, `since.`, `ask.` or `button.` are alternatives: the first one whose
 * placeholders all have a value wins.
 * All other keys are lines: a line that needs a value the alert does not carry is left out, so
 * absent annotations never produce "undefined" in a mail.
 */
export type TemplateKey =
  | `subject.${TemplateTask}.${AlertStatus}`
  | `subject.coalesced.${AlertStatus | "mixed"}`
  | `title.${TemplateTask}.${AlertStatus}`
  | `greeting.${MailAudience}`
  | `intro.${MailAudience}`
  | `heading.${MailAudience}`
  | `facts.${TemplateTask}.${AlertStatus}`
  | "facts.unknownAccount"
  | "facts.undeliverable"
  | "since.firing"
  | `why.${TemplateTask}`
  | `advice.${TemplateTask}`
  | `ask.${TemplateTask}`
  | "label.steps"
  | "button.account"
  | "link.account"
  | `footer.${MailAudience}`
  | `${"subject" | "title" | "facts"}.${ChangeableTask}.changed`
  | `${"subject" | "title" | "facts"}.unconfirmed`
  | "intro.partial"
  | "intro.stillOpen";

export type Catalog = Record<TemplateKey, readonly string[]>;

export const templateKeys: readonly TemplateKey[] = [
  ...templateTasks.flatMap((t) => statuses.map((s) => `subject.${t}.${s}` as const)),
  "subject.coalesced.firing",
  "subject.coalesced.resolved",
  "subject.coalesced.mixed",
  ...templateTasks.flatMap((t) => statuses.map((s) => `title.${t}.${s}` as const)),
  ...mailAudiences.map((a) => `greeting.${a}` as const),
  ...mailAudiences.map((a) => `intro.${a}` as const),
  ...mailAudiences.map((a) => `heading.${a}` as const),
  ...templateTasks.flatMap((t) => statuses.map((s) => `facts.${t}.${s}` as const)),
  "facts.unknownAccount",
  "facts.undeliverable",
  "since.firing",
  ...templateTasks.map((t) => `why.${t}` as const),
  ...templateTasks.map((t) => `advice.${t}` as const),
  ...templateTasks.map((t) => `ask.${t}` as const),
  "label.steps",
  "button.account",
  "link.account",
  ...mailAudiences.map((a) => `footer.${a}` as const),
  ...changeableTasks.flatMap((t) =>
    (["subject", "title", "facts"] as const).map((kind) => `${kind}.${t}.changed` as const),
  ),
  "subject.unconfirmed",
  "title.unconfirmed",
  "facts.unconfirmed",
  "intro.partial",
  "intro.stillOpen",
];

/** Every value a template may use; documented in docs/bridge.md (Template keys). */
export const placeholders = [
  "account",
  "host",
  "customer",
  "name",
  "alertname",
  "severity",
  "summary",
  "description",
  "title",
  "count",
  "problems",
  "solved",
  "usedPercent",
  "usedGiB",
  "quotaGiB",
  "warningPercent",
  "missed",
  "threshold",
  "daysThreshold",
  "failures",
  "lastSuccess",
  "lastSuccessDate",
  "nextSchedule",
  "client",
  "clientVersion",
  "created",
  "fullDate",
  "unreadableFiles",
  "startsAt",
  "endsAt",
  "selfCareUrl",
  "settingsUrl",
  "accountUrl",
  "downloadUrl",
  "minimumVersion",
  "contact",
  "since",
  "sinceDays",
  "sinceHours",
  "reason",
] as const;
export type Placeholder = (typeof placeholders)[number];
export type Values = Partial<Record<Placeholder, string>>;

export type Catalogs = Record<Language, Catalog>;
