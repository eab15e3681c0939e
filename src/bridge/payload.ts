import { z } from "zod";
import { formatIssues } from "../config/index.js";

const stringMap = z.record(z.string(), z.string());

/** RFC 3339 time as Alertmanager writes it; `0001-01-01T00:00:00Z` means "not set" for endsAt. */
const timestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
  message: "expected an RFC 3339 timestamp",
});

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

export type PayloadResult = { ok: true; value: Notification } | { ok: false; error: string };

/** Validate a parsed JSON body; the error names the first offending fields as `path: message`. */
export function parseNotification(body: unknown): PayloadResult {
  const parsed = notificationSchema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: formatIssues(parsed.error.issues.slice(0, 5)).join("; ") };
}
