import { createBackupReader } from "../backup/index.js";
import type { Config } from "../config/index.js";
import { effectiveSettings, openDirectory } from "../directory/index.js";
import type { Logger } from "../log.js";
import { closeServer, listen, type RunningService } from "../service.js";
import { Collector } from "./collector.js";
import { exportedFamilies } from "./families.js";
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from "./heap.js";
import { createApp } from "./http.js";
import { createSelfMetrics } from "./self-metrics.js";
import { type AccountStatusSource, memoryStatusSource } from "./state.js";

export type { AccountDirectory, AccountStateReader, SettingsResolver, Snapshot } from "./collector.js";
export { Collector } from "./collector.js";
export { contentType } from "./http.js";
export type { AccountSample, HostSample } from "./sample.js";
export type {
  AccountStatus,
  AccountStatusSource,
  CollectionStatus,
  HostStatus,
  SettingStatus,
} from "./state.js";
export { httpStatusSource } from "./state.js";

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

/** Start the background collection and the HTTP server; resolves once the server listens. */
export async function startExporter(
  config: Config,
  logger: Logger,
  options: ExporterOptions = {},
): Promise<RunningExporter> {
  const log = logger.child({ component: "exporter" });
  const { basicAuth, intervalSeconds, concurrency } = config.exporter;
  if (basicAuth && basicAuth.password === undefined)
    throw new Error("exporter.basicAuth: no password (set password or passwordFile)");
  if (limitHeapGrowth()) log.debug({ heapGrowingPercent: HEAP_GROWING_PERCENT }, "heap growth limited");
  const directory = openDirectory(config.directory, log);
  const reader = createBackupReader(config, log);
  const metrics = createSelfMetrics();
  const collector = new Collector({
    directory,
    reader,
    settings: (account, resellers) => effectiveSettings(account, resellers, config.directory.defaults),
    metrics,
    logger: log,
    concurrency,
    families: exportedFamilies(config.exporter.deprecatedMetrics),
    now: options.now,
  });
  const app = createApp(
    {
      body: () => collector.snapshot?.body,
      selfMetrics: () => metrics.registry.metrics(),
      ready: () => collector.snapshot !== undefined,
      state: () => collector.snapshot,
    },
    log,
    basicAuth ? { username: basicAuth.username, password: basicAuth.password ?? "" } : undefined,
  );
  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(app, config.exporter.listen);
  } catch (error) {
    await directory.close();
    reader.close();
    throw error;
  }
  const { server, url } = listening;
  log.info({ url, intervalSeconds }, "exporter listening");
  collector.start(intervalSeconds);
  return {
    url,
    collect: () => collector.collect(),
    status: memoryStatusSource(() => collector.snapshot),
    async close() {
      await collector.stop();
      await closeServer(server);
      await directory.close();
      reader.close();
    },
  };
}
