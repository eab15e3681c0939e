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
 * What the exporter's state says of a resolved alert's problem now. Alertmanager sends a resolved alert
 * with the annotations of its last firing evaluation (the 97 % that may no longer be true, the last
 * success from before the run that solved it), and it resolves alerts for reasons other than the problem
 * being solved (a raised threshold, a rule changed, a state not yet collected). So the mail says:
 * - `confirmed`: the state shows the problem solved; the annotations are the state's facts;
 * - `changed`: the problem is no longer warned about because a setting changed (the warning level was
 *   raised or switched off); the annotations say what is true now, the mail says what changed;
 * - `unconfirmed`: no state to check against (not readable, or the account or computer is not in it):
 *   the mail says only that the monitoring no longer reports the problem;
 * - `persists`: the state still shows the problem; no mail says it is solved (`why`: for the history).
 */
export type PresentVerdict =
  | { kind: "confirmed" | "changed" | "unconfirmed"; annotations: Record<string, string> }
  | { kind: "persists"; why: string };

const percent = (ratio: number): string => `${Math.round(ratio * 100)}%`;

/** A firing annotation's number, when the rule wrote one. */
const firingNumber = (alert: StoredAlert, name: string): number | undefined => {
  const value = alert.annotations[name];
  const number = value === undefined || value.trim() === "" ? Number.NaN : Number(value);
  return Number.isFinite(number) ? number : undefined;
};

const settingValue = (status: AccountStatus, name: keyof AccountStatus["settings"]): number =>
  Number(status.settings[name]?.value ?? 0);

function quotaVerdict(alert: StoredAlert, status: AccountStatus): PresentVerdict {
  const { usedRatio, warningRatio } = status.quota;
  if (usedRatio === undefined) return { kind: "unconfirmed", annotations: {} };
  const usage = {
    used_bytes: status.quota.usedBytes,
    quota_bytes: status.quota.quotaBytes,
    used_ratio: usedRatio,
  };
  // Storage over the warning level is a problem whichever warning ends, the level's or the forecast's
  // (whose trend stops reaching the quota "in time" once the storage is full).
  if (warningRatio > 0 && usedRatio >= warningRatio)
    return { kind: "persists", why: `${percent(usedRatio)} used, warning level ${percent(warningRatio)}` };
  // Below it, a forecast's warning (StoneyBackupQuotaFullSoon) ends when the trend no longer reaches the
  // quota in time, which the state cannot contradict: the mail says the date no longer holds, with
  // today's usage.
  if (alert.annotations.full_timestamp !== undefined)
    return {
      kind: "confirmed",
      annotations: defined({ ...usage, full_timestamp: alert.annotations.full_timestamp }),
    };
  const annotations = defined({
    ...usage,
    // A level of 0 means switched off: the mail then says so rather than "warning level 0 %".
    warning_ratio: warningRatio > 0 ? warningRatio : undefined,
  });
  const warnedAt = firingNumber(alert, "warning_ratio");
  const raised = warningRatio === 0 || (warnedAt !== undefined && usedRatio >= warnedAt);
  return { kind: raised ? "changed" : "confirmed", annotations };
}

/**
 * Missed or failed backups are solved by a successful run after the problem began. Without one, the
 * alert resolving means either that the account's threshold changed (the mail says so, with the new
 * level) or that the state does not yet show what the rules saw.
 */
function runVerdict(
  alert: StoredAlert,
  status: AccountStatus,
  task: "schedule" | "unsuccessful",
): PresentVerdict {
  const host = status.hosts.find((h) => h.host === alert.labels.host);
  if (!host) return { kind: "unconfirmed", annotations: {} };
  const lastSuccess = seconds(host.lastSuccess);
  const began = Date.parse(alert.startsAt);
  const success = host.lastSuccess === undefined ? Number.NaN : Date.parse(host.lastSuccess);
  if (success > began)
    return { kind: "confirmed", annotations: defined({ last_success_timestamp: lastSuccess }) };
  const thresholds =
    task === "unsuccessful"
      ? { threshold: settingValue(status, "failuresThreshold") }
      : alert.annotations.days_threshold !== undefined
        ? { days_threshold: settingValue(status, "missedDaysThreshold") }
        : { threshold: settingValue(status, "missedBackupsThreshold") };
  const changed = Object.entries(thresholds).some(([name, now]) => {
    const before = firingNumber(alert, name);
    return before !== undefined && before !== now;
  });
  if (changed) {
    // A threshold of 0 switches the warning off: no "warned after 0 missed backups".
    const levels = Object.fromEntries(Object.entries(thresholds).filter(([, value]) => value > 0));
    return { kind: "changed", annotations: defined({ ...levels, last_success_timestamp: lastSuccess }) };
  }
  const since = host.lastSuccess === undefined ? "never" : `last ${host.lastSuccess}`;
  return { kind: "persists", why: `no successful backup of ${host.host} since the problem began (${since})` };
}

/** What a resolved alert's mail may say, given the exporter's state of its account (undefined: none). */
export function presentVerdict(alert: StoredAlert, status: AccountStatus | undefined): PresentVerdict {
  const task = templateTask(alert.task);
  if (alert.status === "firing" || task === "generic")
    return { kind: "confirmed", annotations: alert.annotations };
  if (!status) return { kind: "unconfirmed", annotations: {} };
  const host = status.hosts.find((h) => h.host === alert.labels.host);
  switch (task) {
    case "quota":
      return quotaVerdict(alert, status);
    case "schedule":
    case "unsuccessful":
      return runVerdict(alert, status, task);
    case "upgrade":
      if (!host?.client) return { kind: "unconfirmed", annotations: {} };
      if (host.clientOutdated)
        return {
          kind: "persists",
          why: `${host.host} still runs ${host.client.identifier} ${host.client.version}`,
        };
      return {
        kind: "confirmed",
        annotations: { client_identifier: host.client.identifier, client_version: host.client.version },
      };
    case "nobackup":
      return status.neverUsed
        ? { kind: "persists", why: "still no backup received" }
        : { kind: "confirmed", annotations: {} };
    case "unreadable":
      if (!host) return { kind: "unconfirmed", annotations: {} };
      return host.metadataErrors > 0
        ? { kind: "persists", why: `${host.metadataErrors} status files of ${host.host} still unreadable` }
        : { kind: "confirmed", annotations: {} };
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
