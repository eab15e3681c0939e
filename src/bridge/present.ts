import type { AccountStatus } from "../exporter/index.js";
import type { StoredAlert } from "./outbox.js";
import { templateTask } from "./templates/index.js";

const seconds = (time: string | undefined): string | undefined => {
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(ms) ? undefined : String(Math.round(ms / 1000));
};

const defined = (values: Record<string, string | number | undefined>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(values).flatMap(([key, value]) => (value === undefined ? [] : [[key, String(value)]])),
  );

/**
 * Alertmanager sends a resolved alert with the annotations of its last firing evaluation: "97 %" of a quota
 * that is now back under the threshold, the last success from before the run that solved it. A resolved
 * mail of a known task therefore says only what the exporter's state says now (current usage, the run that
 * succeeded, the client now installed), or nothing numeric when the state is not available.
 */
export function presentAnnotations(
  alert: StoredAlert,
  status: AccountStatus | undefined,
): Record<string, string> {
  const task = templateTask(alert.task);
  if (alert.status === "firing" || task === "generic") return alert.annotations;
  if (!status) return {};
  const host = status.hosts.find((h) => h.host === alert.labels.host);
  switch (task) {
    case "quota":
      return defined({
        used_bytes: status.quota.usedBytes,
        quota_bytes: status.quota.quotaBytes,
        used_ratio: status.quota.usedRatio,
      });
    case "schedule":
    case "unsuccessful":
      return defined({ last_success_timestamp: seconds(host?.lastSuccess) });
    case "upgrade":
      return defined({ client_identifier: host?.client?.identifier, client_version: host?.client?.version });
    case "nobackup":
    case "unreadable":
      return {};
  }
}

/** Resolved alerts whose mails state the present: their accounts are looked up in the exporter's state. */
export const needsPresentState = (alert: StoredAlert): alert is StoredAlert & { account: string } =>
  alert.status === "resolved" && alert.account !== undefined && templateTask(alert.task) !== "generic";

/**
 * A schedule warning about a computer whose backup is running (the rules annotate the run's status and
 * start) waits until the run has had `graceMs` to finish: the time it is due for routing, or undefined.
 */
export function heldUntil(alert: StoredAlert, graceMs: number): number | undefined {
  if (graceMs <= 0 || alert.status !== "firing" || templateTask(alert.task) !== "schedule") return undefined;
  if (alert.annotations.run_status !== "running") return undefined;
  const started = Number(alert.annotations.last_start_timestamp) * 1000;
  return Number.isFinite(started) && started > 0 ? started + graceMs : undefined;
}
