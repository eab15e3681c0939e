import type { AccountState, ClientInfo, HostState, RunStatus, Schedule } from "../backup/model.js";
import { SharedValues } from "../interned-values.js";

/** One effective setting as the directory module resolves it (account → reseller → configuration). */
interface ResolvedSetting {
  value: boolean | number;
  /** Where the value came from, when the resolver says (the state endpoint shows it). */
  source?: "account" | "reseller" | "config";
  resellerUid?: string;
}

/** The effective settings the exporter publishes; a structural subset of the directory's EffectiveSettings. */
export interface ExportedSettings {
  warnings: ResolvedSetting;
  quotaWarningPercent: ResolvedSetting;
  missedBackupsThreshold: ResolvedSetting;
  missedDaysThreshold: ResolvedSetting;
  failuresThreshold: ResolvedSetting;
  quotaFullDays: ResolvedSetting;
}

interface ScheduleLabels {
  type: Schedule["type"];
  /** Cron expression of a custom schedule (`30 19 * * 1,3,5`), empty otherwise. */
  cron: string;
  /** The schedule's fixed UTC offset (`+01:00`), empty when it has none. */
  utcOffset: string;
}

/**
 * What the exporter keeps of one host between the read phase and rendering: plain numbers and
 * strings only, so the directory entries and client file contents can be collected as garbage early.
 */
export interface HostSample {
  host: string;
  lastStartSeconds?: number;
  lastEndSeconds?: number;
  lastSuccessSeconds?: number;
  status: RunStatus;
  consecutiveFailures: number;
  successfulRuns: number;
  missedSchedules: number;
  nextScheduleSeconds?: number;
  schedule?: ScheduleLabels;
  client?: ClientInfo;
  clientOutdated: boolean;
  clockSkewed: boolean;
  metadataErrors: number;
}

export interface AccountSample {
  uid: string;
  /** Reseller uids joined by commas, empty without reseller. */
  resellers: string;
  warningsEnabled: boolean;
  quotaBytes?: number;
  usedBytes?: number;
  usedRatio?: number;
  quotaWarningRatio: number;
  missedSchedulesThreshold: number;
  missedDaysThreshold: number;
  failuresThreshold: number;
  quotaFullDays: number;
  neverUsed: boolean;
  createdSeconds?: number;
  hosts: HostSample[];
  /** The effective settings with their sources, for the state endpoint. */
  settings: ExportedSettings;
}

const seconds = (date: Date | undefined): number | undefined =>
  date === undefined ? undefined : date.getTime() / 1000;

const twoDigits = (n: number): string => String(n).padStart(2, "0");

/** `+01:00`, `-05:30`, `+00:00`: the form the clients write, so operators recognise it. */
const formatUtcOffset = (minutes: number): string => {
  const sign = minutes < 0 ? "-" : "+";
  const absolute = Math.abs(minutes);
  return `${sign}${twoDigits(Math.floor(absolute / 60))}:${twoDigits(absolute % 60)}`;
};

/**
 * The labels of each schedule object, computed once: the backup reader shares one object per distinct
 * schedule, so 100,000 hosts share a few labels objects instead of holding one each.
 */
const labelsOfSchedule = new WeakMap<Schedule, ScheduleLabels>();

const sharedScheduleLabels = (schedule: Schedule): ScheduleLabels => {
  let labels = labelsOfSchedule.get(schedule);
  if (!labels) {
    labels = scheduleLabels(schedule);
    labelsOfSchedule.set(schedule, labels);
  }
  return labels;
};

export const scheduleLabels = (schedule: Schedule): ScheduleLabels => {
  if (schedule.type !== "custom") return { type: schedule.type, cron: "", utcOffset: "" };
  const weekdays = new Set(schedule.weekdays);
  // Cron counts Sunday as 0; every day of the week is `*` like the client's own every_day_of_week.
  const dayOfWeek =
    weekdays.size >= 7
      ? "*"
      : [...weekdays]
          .map((day) => day % 7)
          .sort((a, b) => a - b)
          .join(",");
  return {
    type: "custom",
    cron: `${schedule.minute} ${schedule.hour} * * ${dayOfWeek}`,
    utcOffset: formatUtcOffset(schedule.utcOffsetMinutes),
  };
};

const toNumber = (setting: ResolvedSetting): number => Number(setting.value);

const settingKey = (setting: ResolvedSetting) =>
  `${setting.value}|${setting.source ?? ""}|${setting.resellerUid ?? ""}`;

/** Most accounts inherit the same settings from the same reseller: one object for each distinct set. */
const sharedSettings = new SharedValues<ExportedSettings>(10_000, (settings) =>
  [
    settingKey(settings.warnings),
    settingKey(settings.quotaWarningPercent),
    settingKey(settings.missedBackupsThreshold),
    settingKey(settings.missedDaysThreshold),
    settingKey(settings.failuresThreshold),
    settingKey(settings.quotaFullDays),
  ].join("\n"),
);

const hostSample = (host: HostState): HostSample => ({
  host: host.host,
  lastStartSeconds: seconds(host.lastStart?.at),
  lastEndSeconds: seconds(host.lastEnd?.at),
  lastSuccessSeconds: seconds(host.lastSuccess),
  status: host.status,
  consecutiveFailures: host.consecutiveFailures,
  successfulRuns: host.successfulRuns,
  missedSchedules: host.missedSchedules,
  nextScheduleSeconds: seconds(host.nextSchedule),
  schedule: host.schedule === undefined ? undefined : sharedScheduleLabels(host.schedule),
  client: host.client,
  clientOutdated: host.clientOutdated,
  clockSkewed: host.clockSkewed,
  metadataErrors: host.errors.length,
});

/** Reduce one account's state and effective settings to the values the metric contract publishes. */
export const accountSample = (state: AccountState, settings: ExportedSettings): AccountSample => ({
  uid: state.account.uid,
  resellers: state.account.resellerUids.join(","),
  warningsEnabled: settings.warnings.value === true,
  quotaBytes: state.quota.quotaBytes,
  usedBytes: state.quota.usedBytes,
  usedRatio: state.quota.ratio,
  quotaWarningRatio: toNumber(settings.quotaWarningPercent) / 100,
  missedSchedulesThreshold: toNumber(settings.missedBackupsThreshold),
  missedDaysThreshold: toNumber(settings.missedDaysThreshold),
  failuresThreshold: toNumber(settings.failuresThreshold),
  quotaFullDays: toNumber(settings.quotaFullDays),
  neverUsed: state.neverUsed,
  createdSeconds: seconds(state.account.createdAt),
  hosts: state.hosts.map(hostSample),
  settings: sharedSettings.share(settings),
});

/** Whether two samples hold the same values apart from `except` (nested objects are shared: compared by identity). */
function sameValues<T extends object>(a: T, b: T, except?: keyof T): boolean {
  const keys = Object.keys(a) as (keyof T)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (key !== except && a[key] !== b[key]) return false;
  return true;
}

/**
 * `next` with every host sample that equals the previous collection's replaced by that one, and the previous
 * account sample itself when nothing changed. Most hosts do not change from one collection to the next, so
 * the new snapshot shares them with the one still served, instead of holding a second copy of all of them
 * until it replaces it (at 50,000 accounts about 30 MB).
 */
export function reuseUnchanged(previous: AccountSample | undefined, next: AccountSample): AccountSample {
  if (!previous) return next;
  let hostsChanged = previous.hosts.length !== next.hosts.length;
  const hosts = next.hosts.map((host, i) => {
    const before = previous.hosts[i];
    if (before && sameValues(before, host)) return before;
    hostsChanged = true;
    return host;
  });
  if (!hostsChanged && sameValues(previous, next, "hosts")) return previous;
  return { ...next, hosts: hostsChanged ? hosts : previous.hosts };
}
