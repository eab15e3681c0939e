import type { Config, DirectoryConfig } from "../config/index.js";
import { type Directory, lookUpAccounts, openDirectory } from "../directory/index.js";
import { type AccountStatusSource, httpStatusSource } from "../exporter/index.js";
import type { Logger } from "../log.js";
import { closeServer, listen, type RunningService, ServiceStartError } from "../service.js";
import { mailDomain } from "./headers.js";
import { createApp } from "./http.js";
import { createMetrics } from "./metrics.js";
import type { MigrationReport } from "./migrations.js";
import { type HistoryRow, Outbox } from "./outbox.js";
import type { PauseSource } from "./pause.js";
import { Pipeline } from "./pipeline.js";
import type { RecipientResolver } from "./route.js";
import { templateSource } from "./templates/index.js";
import { createMailer } from "./transport.js";

/** The recipient-resolver stage backed by the directory: batched look-ups, the directory's rules. */
export const directoryResolver =
  (directory: Directory, config: DirectoryConfig): RecipientResolver =>
  (uids) =>
    lookUpAccounts(directory, uids, { resellerMail: config.resellerMail, defaults: config.defaults });

export interface BridgeParts {
  /** Replaces the directory look-up, e.g. with one whose searches a benchmark counts. */
  resolver?: RecipientResolver;
  /** Paused accounts, whose customer and reseller mails are suppressed. */
  pauses?: PauseSource;
  /** Replaces the exporter's state read over HTTP, e.g. with the one of an exporter in this process. */
  status?: AccountStatusSource;
}

/**
 * The exporter's `/api/v1/state`: `bridge.exporterUrl`, else this configuration's exporter, which serves
 * the state only with basic auth. Undefined when there is neither.
 */
function exporterStatus(config: Config): AccountStatusSource | undefined {
  const auth = config.exporter.basicAuth;
  const { host, port } = config.exporter.listen;
  const local = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = config.bridge.exporterUrl ?? (auth ? `http://${local}:${port}` : undefined);
  if (!url) return undefined;
  return httpStatusSource(url, auth ? { username: auth.username, password: auth.password ?? "" } : undefined);
}

export interface RunningBridge extends RunningService {
  outbox: Outbox;
  pipeline: Pipeline;
}

/** Open the outbox, start the pipeline and the webhook server; resolves once the server listens. */
export async function startBridge(
  config: Config,
  logger: Logger,
  parts: BridgeParts = {},
): Promise<RunningBridge> {
  const bridge = config.bridge;
  const log = logger.child({ component: "bridge" });
  let outbox: Outbox;
  try {
    outbox = new Outbox(bridge.outboxPath, {
      messageDomain: mailDomain(bridge.smtp.from),
      exclusive: true,
      migrate: bridge.migrateAtStart,
    });
  } catch (error) {
    throw new ServiceStartError(`cannot open the outbox ${bridge.outboxPath}: ${(error as Error).message}`);
  }
  const metrics = createMetrics(outbox);
  let directory: Directory | undefined;
  let resolver = parts.resolver;
  if (!resolver) {
    directory = openDirectory(config.directory, log);
    resolver = directoryResolver(directory, config.directory);
  }
  const status = parts.status ?? exporterStatus(config);
  if (!status)
    log.info(
      "no exporter state (set exporter.basicAuth or bridge.exporterUrl): resolved mails say nothing numeric",
    );
  const pipeline = new Pipeline(
    outbox,
    resolver,
    createMailer(bridge.smtp),
    templateSource(bridge.templates.overrideDir, log),
    metrics,
    log,
    {
      config: bridge,
      operatorTimeZone: config.directory.defaults.timeZone,
      builtinTemplates: templateSource(undefined, log),
      ...(parts.pauses ? { pauses: parts.pauses } : {}),
      ...(status ? { status } : {}),
    },
  );
  if (!bridge.auth?.bearerToken && !bridge.auth?.basic)
    log.warn("bridge.auth is not set: anyone who reaches the webhook can send mail through it");

  pipeline.start();
  const app = createApp({
    config: bridge,
    outbox,
    metrics,
    logger: log,
    accepted: () => pipeline.wake(),
    ready: () => pipeline.ready(),
  });
  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(app, bridge.listen);
  } catch (error) {
    await pipeline.stop();
    await directory?.close();
    outbox.close();
    throw error;
  }
  const { server, url } = listening;
  log.info({ url, webhook: `${url}${bridge.webhookPath}` }, "bridge listening");

  return {
    url,
    outbox,
    pipeline,
    async close() {
      await closeServer(server);
      await pipeline.stop();
      await directory?.close();
      outbox.close();
    },
  };
}

/** What the outbox recorded for one account, newest first (the `history` subcommand). */
export function accountHistory(outboxPath: string, account: string, limit = 100): HistoryRow[] {
  const outbox = new Outbox(outboxPath, { migrate: false });
  try {
    return outbox.history(account, limit);
  } finally {
    outbox.close();
  }
}

/** Apply pending outbox schema migrations (the `migrate` subcommand); the bridge must not run meanwhile. */
export function migrateOutbox(outboxPath: string): MigrationReport {
  const outbox = new Outbox(outboxPath, { exclusive: true, migrate: true });
  outbox.close();
  return outbox.migration;
}

export type { MigrationReport } from "./migrations.js";
export { SchemaVersionError } from "./migrations.js";
export type { HistoryRow } from "./outbox.js";
export type { AccountPause, PauseSource } from "./pause.js";
export type { Notification } from "./payload.js";
export { parseNotification } from "./payload.js";
export type { AccountLookup, RecipientResolver, ResolvedAccount } from "./route.js";
