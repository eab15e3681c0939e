import type { BasicCredentials } from "../http-auth.js";
import type { Logger } from "../log.js";
import {
  type AccountStatus,
  type AccountStatusSource,
  type CollectionStatus,
  readExporterState,
  type ServerFreshness,
} from "./state.js";

/** One backup server's exporter, as configured for the portal and the bridge. */
export interface BackupServerExporter {
  name: string;
  url: string;
}

/** What the portal and the bridge know of one backup server's exporter after their last read. */
export interface ServerReading {
  name: string;
  /** The last state it gave, kept when a later read fails; undefined when it never gave one. */
  state?: CollectionStatus;
  /** Whether the last read answered with a state. */
  answered: boolean;
}

/** Every backup server's accounts as one state, each account from the server that holds it. */
export interface MergedState {
  accounts: Map<string, AccountStatus>;
  servers: ServerFreshness[];
}

/**
 * Merge the states of several backup servers' exporters. An account is taken from the server whose
 * collection is the freshest (an account moved between servers is briefly in both trees; the newer
 * collection is the truth); on equal times, the server listed first. Each account carries its server's
 * name and whether that data is stale, so no reader mistakes an unreachable server for missing backups.
 */
export function mergeStates(readings: readonly ServerReading[]): MergedState {
  const chosen = new Map<string, { account: AccountStatus; collectedMs: number; reading: ServerReading }>();
  for (const reading of readings) {
    if (!reading.state) continue;
    const collectedMs = Date.parse(reading.state.collectedAt);
    for (const account of reading.state.accounts) {
      const held = chosen.get(account.uid);
      if (held && held.collectedMs >= collectedMs) continue;
      chosen.set(account.uid, { account, collectedMs, reading });
    }
  }
  const accounts = new Map<string, AccountStatus>();
  for (const uid of [...chosen.keys()].sort()) {
    const { account, reading } = chosen.get(uid) as { account: AccountStatus; reading: ServerReading };
    accounts.set(uid, { ...account, server: reading.name, ...(reading.answered ? {} : { stale: true }) });
  }
  const servers = readings.map((reading) => ({
    name: reading.name,
    ...(reading.state ? { collectedAt: new Date(reading.state.collectedAt) } : {}),
    stale: !reading.answered,
  }));
  return { accounts, servers };
}

/** The servers whose data is missing or did not answer the last read: what readers must mention. */
export const staleServers = (servers: readonly ServerFreshness[]): ServerFreshness[] =>
  servers.filter((server) => server.stale);

/**
 * A backup server's name when only its exporter's address is configured (`exporterUrl`): the host,
 * which is what an operator recognises in "data of … is 20 minutes old".
 */
const serverNameOf = (url: string): string => new URL(url).hostname;

export interface ServersStatusSource extends AccountStatusSource {
  /** How current each backup server's data is, in the configured order. */
  servers(): Promise<ServerFreshness[]>;
}

/**
 * The state of every backup server's exporter, read over HTTP in parallel and kept for `maxAgeMs`. A
 * server that does not answer keeps its last state, marked stale, and never makes the whole read fail.
 * `read` gives one exporter's state (undefined: it answered that it has not collected yet).
 */
export function serversStatusSource(
  exporters: readonly BackupServerExporter[],
  read: (exporter: BackupServerExporter) => Promise<CollectionStatus | undefined>,
  onFailure: (exporter: BackupServerExporter, error: unknown) => void,
  maxAgeMs = 10_000,
): ServersStatusSource {
  const last = new Map<string, CollectionStatus>();
  let cached: { at: number; merged: MergedState } | undefined;
  let loading: Promise<MergedState> | undefined;
  const readAll = async (): Promise<MergedState> => {
    const readings = await Promise.all(
      exporters.map(async (exporter): Promise<ServerReading> => {
        try {
          const state = await read(exporter);
          if (state) last.set(exporter.name, state);
          return { name: exporter.name, ...(state ? { state } : {}), answered: state !== undefined };
        } catch (error) {
          onFailure(exporter, error);
          const state = last.get(exporter.name);
          return { name: exporter.name, ...(state ? { state } : {}), answered: false };
        }
      }),
    );
    const merged = mergeStates(readings);
    cached = { at: Date.now(), merged };
    return merged;
  };
  const load = (): Promise<MergedState> => {
    if (cached && Date.now() - cached.at < maxAgeMs) return Promise.resolve(cached.merged);
    loading ??= readAll().finally(() => {
      loading = undefined;
    });
    return loading;
  };
  return {
    // The moment all data shown is at least as new as: the oldest collection of the servers that have data.
    collectedAt: async () => {
      const times = (await load()).servers.flatMap((s) => (s.collectedAt ? [s.collectedAt.getTime()] : []));
      return times.length === 0 ? undefined : new Date(Math.min(...times));
    },
    accounts: async (uids) => {
      const { accounts } = await load();
      const result = new Map<string, AccountStatus>();
      for (const uid of uids) {
        const found = accounts.get(uid);
        if (found) result.set(uid, found);
      }
      return result;
    },
    all: async () => [...(await load()).accounts.values()],
    servers: async () => (await load()).servers,
  };
}

/**
 * The exporters a reader combines: `exporters`, else the one `exporterUrl` (named after its host), else
 * none.
 */
export const configuredExporters = (reader: {
  exporters?: readonly BackupServerExporter[] | undefined;
  exporterUrl?: string | undefined;
}): BackupServerExporter[] =>
  reader.exporters
    ? [...reader.exporters]
    : reader.exporterUrl
      ? [{ name: serverNameOf(reader.exporterUrl), url: reader.exporterUrl }]
      : [];

/**
 * Where this configuration's own exporter answers on this machine: a wildcard listen address is reached
 * on the loopback, an IPv6 one in brackets.
 */
export function localExporterUrl(listen: { host: string; port: number }): string {
  const { host, port } = listen;
  const local = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${local}:${port}`;
}

/** Every backup server's exporter read over HTTP with the exporters' basic auth; failures are logged. */
export const httpServersSource = (
  exporters: readonly BackupServerExporter[],
  credentials: BasicCredentials | undefined,
  logger: Logger,
): ServersStatusSource =>
  serversStatusSource(
    exporters,
    (exporter) => readExporterState(exporter.url, credentials),
    (exporter, error) =>
      logger.warn(
        {
          server: exporter.name,
          url: exporter.url,
          err: error instanceof Error ? error.message : String(error),
        },
        "backup server's exporter not readable: its accounts are shown from its last data, marked as old",
      ),
  );
