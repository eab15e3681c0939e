import { readFileSync } from "node:fs";
import { type BridgeConfig, type Config, type DirectoryConfig, isPostgresUrl } from "../config/index.js";
import { type Directory, lookUpAccounts, openDirectory } from "../directory/index.js";
import {
  type AccountStatusSource,
  configuredExporters,
  httpServersSource,
  localExporterUrl,
} from "../exporter/index.js";
import { type LocalJournalReader, openJournalReader } from "../journal/index.js";
import type { Logger } from "../log.js";
import {
  closeServer,
  listen,
  type RunningService,
  replaceHandler,
  ServiceStartError,
  sameSettings,
  warnRestartOnly,
} from "../service.js";
import type { MigrationReport } from "../store/migrations.js";
import { DigestScheduler } from "./digests/scheduler.js";
import { mailDomain } from "./headers.js";
import { createApp } from "./http.js";
import { createMetrics } from "./metrics.js";
import { type HistoryRow, SqliteOutbox } from "./outbox.js";
import type { PauseSource } from "./pause.js";
import { Pipeline } from "./pipeline.js";
import { type PostgresConnection, PostgresOutbox } from "./postgres.js";
import type { RecipientResolver } from "./route.js";
import { type OutboxStore, redactUrl } from "./store.js";
import { type ClientFacts, templateSource } from "./templates/index.js";
import { sendingMailer } from "./threaded-mailer.js";
import type { UnsubscriptionSource } from "./unsubscribe.js";

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
  /** Addresses unsubscribed through the one-click links of mails (the self-care store's). */
  unsubscriptions?: UnsubscriptionSource;
  /** Replaces the exporter's state read over HTTP, e.g. with the one of an exporter in this process. */
  status?: AccountStatusSource;
  /** The run journal digests count runs from; otherwise the one `history` configures (as the portal's). */
  journal?: LocalJournalReader;
}

/**
 * Every backup server's `/api/v1/state`: `bridge.exporters`, else `bridge.exporterUrl`, else this
 * configuration's exporter, which serves the state only with basic auth. Undefined when there is none.
 */
export function exporterStatus(config: Config, logger: Logger): AccountStatusSource | undefined {
  const auth = config.exporter.basicAuth;
  const configured = configuredExporters(config.bridge);
  const exporters =
    configured.length > 0 || !auth
      ? configured
      : configuredExporters({ exporterUrl: localExporterUrl(config.exporter.listen) });
  if (exporters.length === 0) return undefined;
  return httpServersSource(
    exporters,
    auth ? { username: auth.username, password: auth.password ?? "" } : undefined,
    logger,
  );
}

/**
 * The run journal digests count runs from: read-only, opened at its first read (a bridge on another
 * machine than a SQLite journal finds none). A server's history file holds only its own runs, so with
 * several backup servers only a PostgreSQL journal they share has them all; without one, none.
 */
export function digestJournal(config: Config, logger: Logger): LocalJournalReader | undefined {
  const servers = configuredExporters(config.bridge).length;
  return servers > 1 && !config.history.journal.database
    ? undefined
    : openJournalReader(config.history, logger);
}

/** What upgrade mails say about clients: the exporter's minimum versions (same configuration) and the download pages. */
export const clientFacts = (config: Config): ClientFacts => ({
  minimumVersions: config.backup.minimumClientVersions,
  downloads: config.bridge.templates.clientDownloads,
});

export interface RunningBridge extends RunningService {
  outbox: OutboxStore;
  pipeline: Pipeline;
}

/**
 * Open the outbox, start the pipeline and the webhook server; resolves once the server listens.
 * `reload` keeps the outbox and the server's socket: the next requests get the new webhook settings
 * (requests in progress finish on the old ones), and the pipeline restarts on the new mail server,
 * templates and directory once its round in progress has ended.
 */
export async function startBridge(
  config: Config,
  logger: Logger,
  parts: BridgeParts = {},
): Promise<RunningBridge> {
  const bridge = config.bridge;
  const log = logger.child({ component: "bridge" });
  let outbox: OutboxStore;
  try {
    outbox = await openOutbox(bridge, { owner: true, migrate: bridge.migrateAtStart, logger: log });
  } catch (error) {
    throw new ServiceStartError(`cannot open the outbox ${outboxName(bridge)}: ${(error as Error).message}`);
  }
  const metrics = createMetrics(outbox);
  const ownJournal = parts.journal === undefined;
  const journal = parts.journal ?? digestJournal(config, log);
  let running = config;
  let directory: Directory | undefined;
  const openResolver = (next: Config): { resolver: RecipientResolver; opened?: Directory } => {
    if (parts.resolver) return { resolver: parts.resolver };
    const opened = openDirectory(next.directory, log);
    return { resolver: directoryResolver(opened, next.directory), opened };
  };
  const first = openResolver(config);
  directory = first.opened;
  let resolver = first.resolver;
  /**
   * The exporters' state, read by one source for routing and digests alike: one fetch per server for
   * both, and a server the one has seen is not news to the other.
   */
  const statusFor = (next: Config) => parts.status ?? exporterStatus(next, log);
  /** With `reloading`, template overrides with a problem refuse the reload (the running ones stay). */
  const pipelineFor = (next: Config, status: AccountStatusSource | undefined, reloading = false): Pipeline =>
    new Pipeline(
      outbox,
      resolver,
      sendingMailer(next.bridge.smtp),
      templateSource(next.bridge.templates.overrideDir, log, reloading),
      metrics,
      log,
      {
        config: next.bridge,
        operatorTimeZone: next.directory.defaults.timeZone,
        builtinTemplates: templateSource(undefined, log),
        clients: clientFacts(next),
        ...(parts.pauses ? { pauses: parts.pauses } : {}),
        ...(parts.unsubscriptions ? { unsubscriptions: parts.unsubscriptions } : {}),
        ...(status ? { status } : {}),
      },
    );
  let status = statusFor(config);
  let pipeline = pipelineFor(config, status);
  /** Digests need the exporter's state; without it there is nothing to report. */
  const digestsFor = (next: Config, status: AccountStatusSource | undefined): DigestScheduler | undefined => {
    const { resellers, customers } = next.bridge.digests;
    return status && (resellers || customers)
      ? new DigestScheduler({
          config: next.bridge,
          store: outbox,
          status,
          resolver,
          logger: log,
          ...(journal ? { journal } : {}),
          ...(parts.unsubscriptions ? { unsubscriptions: parts.unsubscriptions } : {}),
        })
      : undefined;
  };
  let digests = digestsFor(config, status);
  if (!status)
    log.info(
      "no exporter state (set exporter.basicAuth, bridge.exporters or bridge.exporterUrl): resolved mails say nothing numeric",
    );
  if (!bridge.auth?.bearerToken && !bridge.auth?.basic)
    log.warn("bridge.auth is not set: anyone who reaches the webhook can send mail through it");

  await pipeline.start();
  digests?.start();
  const appFor = (next: Config) =>
    createApp({
      config: next.bridge,
      outbox,
      metrics,
      logger: log,
      accepted: () => pipeline.wake(),
      notReady: () => pipeline.notReady(),
    });
  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(appFor(config), bridge.listen);
  } catch (error) {
    await pipeline.stop();
    await digests?.stop();
    await directory?.close();
    if (ownJournal) await journal?.close();
    await outbox.close();
    throw error;
  }
  const { server, url } = listening;
  log.info({ url, webhook: `${url}${bridge.webhookPath}` }, "bridge listening");

  /** Apply a new configuration: the webhook at once, the pipeline after its round in progress. */
  const reload = async (next: Config): Promise<void> => {
    // Against the start: those settings still run as they were then.
    warnRestartOnly(log, config, next, {
      "bridge.listen": (c) => c.bridge.listen,
      "bridge.outbox": (c) => c.bridge.outbox,
      "bridge.postgres": (c) => c.bridge.postgres,
      "history.journal": (c) => c.history,
    });
    const reopened = sameSettings(running.directory, next.directory) ? undefined : openResolver(next);
    const previousResolver = resolver;
    if (reopened) resolver = reopened.resolver;
    const nextStatus = statusFor(next);
    let nextPipeline: Pipeline;
    try {
      nextPipeline = pipelineFor(next, nextStatus, true);
    } catch (error) {
      resolver = previousResolver;
      await reopened?.opened?.close();
      throw error;
    }
    replaceHandler(server, appFor(next));
    await pipeline.stop();
    pipeline = nextPipeline;
    await pipeline.start();
    await digests?.stop();
    status = nextStatus;
    digests = digestsFor(next, status);
    digests?.start();
    if (reopened) {
      await directory?.close();
      directory = reopened.opened;
    }
    running = next;
  };
  let turns: Promise<void> = Promise.resolve();
  let closed = false;

  return {
    url,
    outbox,
    get pipeline() {
      return pipeline;
    },
    reload(next) {
      // Reloads and the close take turns, so a pipeline is never started on a closed outbox.
      const turn = turns.then(() => (closed ? undefined : reload(next)));
      turns = turn.catch(() => {});
      return turn;
    },
    close() {
      const turn = turns.then(async () => {
        closed = true;
        await closeServer(server);
        await pipeline.stop();
        await digests?.stop();
        await directory?.close();
        if (ownJournal) await journal?.close();
        await outbox.close();
      });
      turns = turn.catch(() => {});
      return turn;
    },
  };
}

/** The outbox as messages name it: the file, or the URL without its password. */
export const outboxName = (bridge: BridgeConfig): string =>
  isPostgresUrl(bridge.outbox) ? redactUrl(bridge.outbox) : bridge.outbox;

/**
 * Open the configured outbox. The owner (the bridge, `migrate`) holds a SQLite outbox's lock;
 * readers (`history`) need no lock and never migrate.
 */
export async function openOutbox(
  bridge: BridgeConfig,
  role: { owner: boolean; migrate: boolean; logger?: Logger },
): Promise<OutboxStore> {
  const messageDomain = mailDomain(bridge.smtp.from);
  if (!isPostgresUrl(bridge.outbox))
    return new SqliteOutbox(bridge.outbox, { messageDomain, exclusive: role.owner, migrate: role.migrate });
  return PostgresOutbox.open({
    ...postgresConnection(bridge),
    leaseMs: bridge.postgres.leaseSeconds * 1000,
    messageDomain,
    migrate: role.migrate,
    ...(role.logger ? { logger: role.logger } : {}),
  });
}

/** The configured PostgreSQL server of a `postgres://` outbox. */
export function postgresConnection(bridge: BridgeConfig): PostgresConnection {
  const { password, tls, poolSize } = bridge.postgres;
  return {
    url: bridge.outbox,
    poolSize,
    ...(password !== undefined ? { password } : {}),
    ...(tls
      ? {
          tls: {
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.caFile ? { ca: readFileSync(tls.caFile, "utf8") } : {}),
          },
        }
      : {}),
  };
}

/** What the outbox recorded for one account, newest first (the `history` subcommand). */
export async function accountHistory(
  bridge: BridgeConfig,
  account: string,
  limit = 100,
): Promise<HistoryRow[]> {
  const outbox = await openOutbox(bridge, { owner: false, migrate: false });
  try {
    return await outbox.history(account, limit);
  } finally {
    await outbox.close();
  }
}

/** Apply pending outbox schema migrations (the `migrate` subcommand); a SQLite outbox's bridge must not run meanwhile. */
export async function migrateOutbox(bridge: BridgeConfig): Promise<MigrationReport> {
  const outbox = await openOutbox(bridge, { owner: true, migrate: true });
  await outbox.close();
  return outbox.migration;
}

export type { MigrationReport } from "../store/migrations.js";
export { SchemaVersionError } from "../store/migrations.js";
export type { HistoryRow } from "./outbox.js";
export type { AccountPause, PauseSource } from "./pause.js";
export type { Notification } from "./payload.js";
export { parseNotification } from "./payload.js";
export type { PostgresConnection } from "./postgres.js";
export { createPool } from "./postgres.js";
export type { AccountLookup, RecipientResolver, ResolvedAccount } from "./route.js";
export type { OutboxStore } from "./store.js";
export {
  type ClaimCheck,
  checkClaim,
  isStream,
  type Stream,
  streamAccount,
  streamText,
  type UnsubscribeClaim,
  type Unsubscription,
  type UnsubscriptionSource,
  unsubscribedReason,
} from "./unsubscribe.js";
