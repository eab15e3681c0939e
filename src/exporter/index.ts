import { createBackupReader } from "../backup/index.js";
import type { Config } from "../config/index.js";
import { effectiveSettings, openDirectory } from "../directory/index.js";
import { type JournalReader, openJournalReader } from "../journal/index.js";
import type { Logger } from "../log.js";
import {
  closeServer,
  listen,
  type RunningService,
  replaceHandler,
  sameSettings,
  warnRestartOnly,
} from "../service.js";
import { Collector, type CollectorSources } from "./collector.js";
import { exportedFamilies } from "./families.js";
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from "./heap.js";
import { type Credentials, createApp } from "./http.js";
import { createSelfMetrics } from "./self-metrics.js";
import { type AccountStatusSource, memoryStatusSource } from "./state.js";

export type { AccountDirectory, AccountStateReader, SettingsResolver, Snapshot } from "./collector.js";
export { Collector } from "./collector.js";
export { contentType } from "./http.js";
export type { AccountSample, HostSample } from "./sample.js";
export type { BackupServerExporter, ServersStatusSource } from "./servers.js";
export {
  configuredExporters,
  httpServersSource,
  localExporterUrl,
  mergeStates,
  staleServers,
} from "./servers.js";
export type {
  AccountStatus,
  AccountStatusSource,
  CollectionStatus,
  HostStatus,
  ServerFreshness,
  SettingStatus,
} from "./state.js";
export { readExporterState } from "./state.js";

export interface RunningExporter extends RunningService {
  /** Collect now, or join the collection in progress; resolves true when it succeeded. */
  collect(): Promise<boolean>;
  /** The last collection's per-account state, read in memory (what `/api/v1/state` serves). */
  status: AccountStatusSource;
}

export interface ExporterOptions {
  /** Clock for the collections (tests use a fixed now). */
  now?: () => Date;
}

/** The journal the exporter serves: its history file's; one in PostgreSQL every portal reads there. */
const servedJournal = (history: Config["history"], log: Logger): JournalReader | undefined =>
  history.journal.database ? undefined : openJournalReader(history, log);

/** The credentials `/metrics` needs, if any; a basicAuth without a password is refused. */
function scrapeCredentials(config: Config): Credentials | undefined {
  const { basicAuth } = config.exporter;
  if (!basicAuth) return undefined;
  if (basicAuth.password === undefined)
    throw new Error("exporter.basicAuth: no password (set password or passwordFile)");
  return { username: basicAuth.username, password: basicAuth.password };
}

/** What the collector takes from the configuration as it is, without opening anything. */
const plainSources = (config: Config): Pick<CollectorSources, "settings" | "concurrency" | "families"> => ({
  settings: (account, resellers) => effectiveSettings(account, resellers, config.directory.defaults),
  concurrency: config.exporter.concurrency,
  families: exportedFamilies(config.exporter.deprecatedMetrics),
});

/**
 * Start the background collection and the HTTP server; resolves once the server listens. `reload`
 * applies a new configuration between two collections, keeping the last good snapshot and the
 * server's socket; the directory and the backup reader are reopened only when their settings changed.
 */
export async function startExporter(
  config: Config,
  logger: Logger,
  options: ExporterOptions = {},
): Promise<RunningExporter> {
  const log = logger.child({ component: "exporter" });
  let running = config;
  const credentials = scrapeCredentials(config);
  if (limitHeapGrowth()) log.debug({ heapGrowingPercent: HEAP_GROWING_PERCENT }, "heap growth limited");
  let directory = openDirectory(config.directory, log);
  let reader = createBackupReader(config, log);
  // `reader` is replaced when a reload changes the backup or history settings: read it at each scrape.
  const metrics = createSelfMetrics(() => reader.journalStats());
  // What the portal of another machine reads; reopened with the history settings.
  let journal = servedJournal(config.history, log);
  const collector = new Collector({
    directory,
    reader,
    ...plainSources(config),
    metrics,
    logger: log,
    now: options.now,
  });
  const appWith = (scrapeAuth: Credentials | undefined) =>
    createApp(
      {
        body: () => collector.snapshot?.body,
        selfMetrics: () => metrics.registry.metrics(),
        ready: () => collector.snapshot !== undefined,
        state: () => collector.snapshot,
        get journal() {
          return journal;
        },
      },
      log,
      scrapeAuth,
    );
  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(appWith(credentials), config.exporter.listen);
  } catch (error) {
    await directory.close();
    await reader.close();
    await journal?.close();
    throw error;
  }
  const { server, url } = listening;
  const { intervalSeconds } = config.exporter;
  log.info({ url, intervalSeconds }, "exporter listening");
  collector.start(intervalSeconds);
  /** A reload waits for the collection in progress; closing aborts that collection and then the reload. */
  let closing = false;
  let reloading: Promise<void> = Promise.resolve();

  /** Reopen what changed; a backup reader that cannot open leaves the old one, reopened, and the error. */
  const reopen = async (next: Config): Promise<{ sources: Partial<CollectorSources>; error?: unknown }> => {
    const opened = sameSettings(running.directory, next.directory)
      ? undefined
      : openDirectory(next.directory, log);
    if (!sameSettings([running.backup, running.history], [next.backup, next.history])) {
      // The history batches its writes in memory: the old store is closed before the file is opened again.
      await reader.close();
      await journal?.close();
      try {
        reader = createBackupReader(next, log);
        journal = servedJournal(next.history, log);
      } catch (error) {
        reader = createBackupReader(running, log);
        journal = servedJournal(running.history, log);
        await opened?.close();
        return { sources: { reader }, error };
      }
    }
    if (opened) {
      await directory.close();
      directory = opened;
    }
    return { sources: { ...plainSources(next), reader, directory } };
  };

  return {
    url,
    collect: () => collector.collect(),
    status: memoryStatusSource(() => collector.snapshot),
    async reload(next) {
      const app = appWith(scrapeCredentials(next));
      // Against the start: the socket still listens where it did then.
      warnRestartOnly(log, config, next, { "exporter.listen": (c) => c.exporter.listen });
      let failure: unknown;
      const reconfigured = collector.reconfigure(async () => {
        if (closing) return {};
        const { sources, error } = await reopen(next);
        failure = error;
        return sources;
      });
      reloading = reconfigured.catch(() => {});
      await reconfigured;
      if (failure) throw failure;
      if (closing) return;
      replaceHandler(server, app);
      collector.intervalSeconds = next.exporter.intervalSeconds;
      running = next;
    },
    async close() {
      closing = true;
      await collector.stop();
      await reloading;
      await closeServer(server);
      await directory.close();
      await reader.close();
      await journal?.close();
    },
  };
}
