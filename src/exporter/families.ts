import type { AccountSample, HostSample } from "./sample.js";

/**
 * The per-account part of the metric contract (docs/metrics.md): every family is a gauge labelled by account
 * (and host), with optional extra labels. `value` returning undefined means "absent": unknown or never.
 */
interface FamilyBase {
  name: string;
  help: string;
  /** Label names after `account` (and `host`), in the order of `labels` values. */
  extraLabels: readonly string[];
  /** A name kept for one release after its replacement came; `exporter.deprecatedMetrics: false` drops it. */
  replacedBy?: string;
}

interface AccountFamily extends FamilyBase {
  scope: "account";
  value: (account: AccountSample) => number | undefined;
  labels?: (account: AccountSample) => readonly string[];
}

interface HostFamily extends FamilyBase {
  scope: "host";
  /** `collectedSeconds`: when the collection started, for values relative to it (a sample holds none). */
  value: (host: HostSample, collectedSeconds: number) => number | undefined;
  labels?: (host: HostSample) => readonly string[];
}

export type Family = AccountFamily | HostFamily;

const flag = (on: boolean): number => (on ? 1 : 0);
const DAY_SECONDS = 86_400;

const account = (
  name: string,
  help: string,
  value: AccountFamily["value"],
  extra?: Partial<Pick<AccountFamily, "extraLabels" | "labels" | "replacedBy">>,
): AccountFamily => ({ scope: "account", name, help, value, extraLabels: [], ...extra });

const host = (
  name: string,
  help: string,
  value: HostFamily["value"],
  extra?: Pick<HostFamily, "extraLabels" | "labels">,
): HostFamily => ({ scope: "host", name, help, value, extraLabels: [], ...extra });

export const families: readonly Family[] = [
  account(
    "stoney_backup_account_info",
    "Monitored (active) backup account; reseller lists its reseller uids.",
    () => 1,
    {
      extraLabels: ["reseller"],
      labels: (a) => [a.resellers],
    },
  ),
  account(
    "stoney_backup_warnings_enabled",
    "1 if the customer wants warning mails (effective warnings flag), else 0.",
    (a) => flag(a.warningsEnabled),
  ),
  account("stoney_backup_quota_bytes", "Backup quota of the account in bytes.", (a) => a.quotaBytes),
  account(
    "stoney_backup_used_bytes",
    "Space used by the backup and its snapshots in bytes.",
    (a) => a.usedBytes,
  ),
  account(
    "stoney_backup_quota_used_ratio",
    "Used bytes divided by the quota (1 = full).",
    (a) => a.usedRatio,
  ),
  account(
    "stoney_backup_quota_warning_ratio",
    "Effective quota warning threshold as a ratio of the quota.",
    (a) => a.quotaWarningRatio,
  ),
  account(
    "stoney_backup_missed_schedules_threshold",
    "Effective number of missed planned backups after which to warn (0 = warning off).",
    (a) => a.missedSchedulesThreshold,
  ),
  account(
    "stoney_backup_last_success_age_threshold_seconds",
    "Effective time without a successful backup after which to warn, compared with stoney_backup_last_success_age_seconds (0 = warning off).",
    (a) => a.missedDaysThreshold * DAY_SECONDS,
  ),
  account(
    "stoney_backup_missed_days_threshold",
    "Deprecated, use stoney_backup_last_success_age_threshold_seconds: effective number of days without a successful backup after which to warn (0 = warning off).",
    (a) => a.missedDaysThreshold,
    { replacedBy: "stoney_backup_last_success_age_threshold_seconds" },
  ),
  account(
    "stoney_backup_failures_threshold",
    "Effective number of consecutive failed backups after which to warn (0 = warning off).",
    (a) => a.failuresThreshold,
  ),
  account(
    "stoney_backup_quota_full_warning_seconds",
    "Effective time ahead within which a storage that, at the trend of the last 30 days, will be full is warned about (quotaFullDays × 86400; 0 = warning off).",
    (a) => a.quotaFullDays * DAY_SECONDS,
  ),
  account("stoney_backup_never_used", "1 if the account has never received a backup, else 0.", (a) =>
    flag(a.neverUsed),
  ),
  account(
    "stoney_backup_account_created_timestamp_seconds",
    "When the account was created (directory createTimestamp).",
    (a) => a.createdSeconds,
  ),
  host(
    "stoney_backup_last_start_timestamp_seconds",
    "Start of the last backup run the client reported.",
    (h) => h.lastStartSeconds,
  ),
  host(
    "stoney_backup_last_end_timestamp_seconds",
    "End of the last backup run the client reported.",
    (h) => h.lastEndSeconds,
  ),
  host(
    "stoney_backup_last_success_timestamp_seconds",
    "End of the last successful backup run.",
    (h) => h.lastSuccessSeconds,
  ),
  host(
    "stoney_backup_last_success_age_seconds",
    "Seconds from the last successful backup run to the collection.",
    (h, collectedSeconds) =>
      h.lastSuccessSeconds === undefined ? undefined : collectedSeconds - h.lastSuccessSeconds,
  ),
  host(
    "stoney_backup_last_run_status",
    "Status of the last backup run (success, failed, running, interrupted, never); always 1.",
    () => 1,
    { extraLabels: ["status"], labels: (h) => [h.status] },
  ),
  host(
    "stoney_backup_consecutive_failures",
    "Failed backup runs since the last successful one.",
    (h) => h.consecutiveFailures,
  ),
  host(
    "stoney_backup_missed_schedules",
    "Planned backup runs missed since the last run started.",
    (h) => h.missedSchedules,
  ),
  host(
    "stoney_backup_next_schedule_timestamp_seconds",
    "Next planned backup run of the client's schedule.",
    (h) => h.nextScheduleSeconds,
  ),
  host(
    "stoney_backup_schedule_info",
    "The client's schedule: type (custom, after_startup, none), cron expression and fixed UTC offset.",
    (h) => (h.schedule === undefined ? undefined : 1),
    {
      extraLabels: ["type", "cron", "utc_offset"],
      labels: (h) => (h.schedule ? [h.schedule.type, h.schedule.cron, h.schedule.utcOffset] : []),
    },
  ),
  host(
    "stoney_backup_client_info",
    "The backup client that last wrote metadata for the host.",
    (h) => (h.client === undefined ? undefined : 1),
    {
      extraLabels: ["identifier", "version", "os"],
      labels: (h) => (h.client ? [h.client.identifier, h.client.version, h.client.operatingSystem] : []),
    },
  ),
  host(
    "stoney_backup_client_outdated",
    "1 if the client is older than the configured minimum version.",
    (h) => flag(h.clientOutdated),
  ),
  host("stoney_backup_clock_skewed", "1 if the client's dates disagree with the server's clock.", (h) =>
    flag(h.clockSkewed),
  ),
  host(
    "stoney_backup_metadata_errors",
    "Unreadable or invalid client files of the host at the last collection.",
    (h) => h.metadataErrors,
  ),
];

/** The families an exporter serves: all of them, or without the deprecated names. */
export const exportedFamilies = (deprecated: boolean): readonly Family[] =>
  deprecated ? families : families.filter((family) => family.replacedBy === undefined);
