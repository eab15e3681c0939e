import { z } from "zod";
import { formatIssues } from "../config/index.js";
import { alertTime, annotationProblem, isZeroTime, numericAnnotations } from "./alert-values.js";
import { accountLabelProblem } from "./route.js";

const stringMap = z.record(z.string(), z.string());

/**
 * RFC 3339 time as Alertmanager writes it; `0001-01-01T00:00:00Z` means "not set" for endsAt. Any
 * string is taken: one unusable date must not refuse the other alerts of its notification (see
 * {@link checkAlertValues}).
 */
const timestamp = z.string();

const alertSchema = z
  .object({
    status: z.enum(["firing", "resolved"]),
    labels: stringMap,
    annotations: stringMap.default({}),
    startsAt: timestamp,
    endsAt: timestamp.optional(),
    generatorURL: z.string().optional(),
    fingerprint: z.string().min(1),
  })
  .loose();

/** Alertmanager webhook payload, version 4; newer versions add fields, so unknown ones pass. */
const notificationSchema = z
  .object({
    version: z.literal("4"),
    groupKey: z.string(),
    truncatedAlerts: z.number().int().nonnegative().default(0),
    status: z.enum(["firing", "resolved"]),
    receiver: z.string(),
    groupLabels: stringMap.default({}),
    commonLabels: stringMap.default({}),
    commonAnnotations: stringMap.default({}),
    externalURL: z.string().default(""),
    alerts: z.array(alertSchema),
  })
  .loose();

export type WebhookAlert = z.infer<typeof alertSchema>;
export type Notification = z.infer<typeof notificationSchema>;

export type PayloadResult =
  | {
      ok: true;
      value: Notification;
      /** Values of accepted alerts left out of the mails. */
      notes: string[];
      /** Alerts refused for their own recipients (they go to the operators as undeliverable). */
      refused: string[];
    }
  | { ok: false; error: string };

const quoted = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 39)}…` : text);

/**
 * The values a mail would turn into dates and numbers, checked one by one: a numeric annotation out of
 * its range is dropped, a startsAt or endsAt that is no usable time stays stored (it is part of the
 * dedupe key) but no mail shows it. Each such change is one note; the alert itself is always kept.
 */
function checkAlertValues(alert: WebhookAlert, index: number, notes: string[]): WebhookAlert {
  for (const field of ["startsAt", "endsAt"] as const) {
    const text = alert[field];
    if (text !== undefined && !(field === "endsAt" && isZeroTime(text)) && !alertTime(text))
      notes.push(
        `alerts.${index}.${field}: ${quoted(text)} is no RFC 3339 time between 1970 and 2200; mails leave it out`,
      );
  }
  const annotations = { ...alert.annotations };
  for (const key of Object.keys(numericAnnotations)) {
    const problem = annotationProblem(annotations, key);
    const value = annotations[key];
    if (problem === undefined || value === undefined) continue;
    notes.push(`alerts.${index}.annotations.${key}: ${quoted(value)} dropped, ${problem}`);
    delete annotations[key];
  }
  return { ...alert, annotations };
}

/**
 * Why an alert cannot reach its own recipients, whom the directory would name: its account label
 * cannot be a directory uid. Such an alert is still stored (routing sends it to the operators as
 * undeliverable), since refusing the notification would lose the other alerts of it.
 */
function refusal(alert: WebhookAlert, index: number): string | undefined {
  const problem = accountLabelProblem(alert.labels);
  if (problem === undefined) return undefined;
  const label = quoted(alert.labels.account ?? "");
  return `alerts.${index}.labels.account: ${label} refused, ${problem}; the alert goes to the operators as undeliverable`;
}

/**
 * Validate a parsed JSON body; the error names the first offending fields as `path: message`, the
 * notes say which values of accepted alerts were left out and which alerts were refused for their
 * own recipients.
 */
export function parseNotification(body: unknown): PayloadResult {
  const parsed = notificationSchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error.issues.slice(0, 5)).join("; ") };
  const notes: string[] = [];
  const refused: string[] = [];
  const alerts = parsed.data.alerts.map((alert, index) => {
    const reason = refusal(alert, index);
    if (reason !== undefined) refused.push(reason);
    return checkAlertValues(alert, index, notes);
  });
  return { ok: true, value: { ...parsed.data, alerts }, notes, refused };
}
