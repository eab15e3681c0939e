import type { ClientInfo, RunStatus } from "../backup/model.js";
import { type BasicCredentials, fetchFromExporter } from "../http-auth.js";
import type { AccountSample, HostSample } from "./sample.js";

/**
 * The per-account state of the last good collection as JSON: what the self-care portal shows and
 * what other tools (digests, dashboards) can read without parsing the exposition format. Times are
 * RFC 3339 strings, absent when unknown.
 */
export interface HostStatus {
  host: string;
  status: RunStatus;
  running: boolean;
  lastStart?: string;
  lastEnd?: string;
  lastSuccess?: string;
  missedRuns: number;
  consecutiveFailures: number;
  /** Successful runs counted since the exporter first saw the host (a counter: take differences). */
  successfulRuns: number;
  nextPlannedRun?: string;
  schedule?: { type: string; cron: string; utcOffset: string };
  client?: ClientInfo;
  clientOutdated: boolean;
  clockSkewed: boolean;
  metadataErrors: number;
}

export interface SettingStatus {
  value: boolean | number;
  source?: "account" | "reseller" | "config";
  resellerUid?: string;
}

export interface AccountStatus {
  uid: string;
  resellers: string[];
  neverUsed: boolean;
  createdAt?: string;
  quota: { quotaBytes?: number; usedBytes?: number; usedRatio?: number; warningRatio: number };
  settings: Record<keyof AccountSample["settings"], SettingStatus>;
  hosts: HostStatus[];
  /** The backup server whose exporter gave this state, when the portal or the bridge reads several. */
  server?: string;
  /** That server's exporter did not answer the last read: this is its last known state. */
  stale?: true;
}

export interface CollectionStatus {
  /** When the collection that produced this state started. */
  collectedAt: string;
  accounts: AccountStatus[];
}

/** How current one backup server's data is. */
export interface ServerFreshness {
  name: string;
  /** When the collection behind its data ran; undefined when there is no data of it at all. */
  collectedAt?: Date;
  /** Its exporter did not answer the last read: its accounts are shown from older data, or not at all. */
  stale: boolean;
}

/** Read access to the last collection, in memory (same process) or over HTTP. */
export interface AccountStatusSource {
  /** When the last good collection ran, undefined before the first one. */
  collectedAt(): Promise<Date | undefined>;
  /** The state of these accounts; accounts the last collection did not cover are absent. */
  accounts(uids: readonly string[]): Promise<Map<string, AccountStatus>>;
  /** Every account of the last collection (digests), in uid order. */
  all(): Promise<AccountStatus[]>;
  /** How current each backup server's data is, when the state combines several (configured order). */
  servers?(): Promise<ServerFreshness[]>;
}

const time = (seconds: number | undefined): string | undefined =>
  seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();

/** Drop undefined fields, so JSON and in-memory answers look the same. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const hostStatus = (host: HostSample): HostStatus =>
  defined({
    host: host.host,
    status: host.status,
    running: host.status === "running",
    lastStart: time(host.lastStartSeconds),
    lastEnd: time(host.lastEndSeconds),
    lastSuccess: time(host.lastSuccessSeconds),
    missedRuns: host.missedSchedules,
    consecutiveFailures: host.consecutiveFailures,
    successfulRuns: host.successfulRuns,
    nextPlannedRun: time(host.nextScheduleSeconds),
    schedule: host.schedule,
    client: host.client,
    clientOutdated: host.clientOutdated,
    clockSkewed: host.clockSkewed,
    metadataErrors: host.metadataErrors,
  });

const settingStatus = (setting: SettingStatus): SettingStatus =>
  defined({ value: setting.value, source: setting.source, resellerUid: setting.resellerUid });

/** One account's collected sample as its JSON state. */
export const accountStatus = (sample: AccountSample): AccountStatus =>
  defined({
    uid: sample.uid,
    resellers: sample.resellers === "" ? [] : sample.resellers.split(","),
    neverUsed: sample.neverUsed,
    createdAt: time(sample.createdSeconds),
    quota: defined({
      quotaBytes: sample.quotaBytes,
      usedBytes: sample.usedBytes,
      usedRatio: sample.usedRatio,
      warningRatio: sample.quotaWarningRatio,
    }),
    settings: {
      warnings: settingStatus(sample.settings.warnings),
      quotaWarningPercent: settingStatus(sample.settings.quotaWarningPercent),
      missedBackupsThreshold: settingStatus(sample.settings.missedBackupsThreshold),
      missedDaysThreshold: settingStatus(sample.settings.missedDaysThreshold),
      failuresThreshold: settingStatus(sample.settings.failuresThreshold),
      quotaFullDays: settingStatus(sample.settings.quotaFullDays),
    },
    hosts: sample.hosts.map(hostStatus),
  });

/** Which accounts a state request asks for: `account` and `reseller` query values (any of them), or all. */
export interface StateQuery {
  accounts: readonly string[];
  resellers: readonly string[];
}

/** The accounts of a collection that match a query, in uid order. */
export function selectSamples(
  samples: ReadonlyMap<string, AccountSample>,
  query: StateQuery,
): AccountSample[] {
  if (query.accounts.length === 0 && query.resellers.length === 0) return [...samples.values()];
  const selected = new Map<string, AccountSample>();
  for (const uid of query.accounts) {
    const sample = samples.get(uid);
    if (sample) selected.set(uid, sample);
  }
  if (query.resellers.length > 0) {
    const wanted = new Set(query.resellers);
    for (const sample of samples.values())
      if (sample.resellers.split(",").some((uid) => wanted.has(uid))) selected.set(sample.uid, sample);
  }
  return [...selected.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
}

/** The state of a collector in the same process. */
export function memoryStatusSource(
  snapshot: () => { collectedAt: Date; samples: ReadonlyMap<string, AccountSample> } | undefined,
): AccountStatusSource {
  // Each sample's JSON state is built once, on first use: an overview of thousands of accounts asks often.
  const converted = new WeakMap<AccountSample, AccountStatus>();
  const statusOf = (sample: AccountSample): AccountStatus => {
    let status = converted.get(sample);
    if (!status) {
      status = accountStatus(sample);
      converted.set(sample, status);
    }
    return status;
  };
  return {
    collectedAt: async () => snapshot()?.collectedAt,
    accounts: async (uids) => {
      const result = new Map<string, AccountStatus>();
      const samples = snapshot()?.samples;
      if (!samples) return result;
      for (const uid of uids) {
        const sample = samples.get(uid);
        if (sample) result.set(uid, statusOf(sample));
      }
      return result;
    },
    all: async () =>
      selectSamples(snapshot()?.samples ?? new Map(), { accounts: [], resellers: [] }).map(accountStatus),
  };
}

/**
 * An exporter's state, read from its `/api/v1/state` endpoint in another process; undefined when it
 * answers that it has not collected yet (503).
 */
export async function readExporterState(
  baseUrl: string,
  credentials: BasicCredentials | undefined,
): Promise<CollectionStatus | undefined> {
  const response = await fetchFromExporter(baseUrl, "api/v1/state", credentials);
  if (response.status === 503) return undefined;
  if (!response.ok) throw new Error(`exporter state ${baseUrl}: HTTP ${response.status}`);
  return (await response.json()) as CollectionStatus;
}
