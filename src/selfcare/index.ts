import { existsSync } from "node:fs";
import {
  accountHistory,
  type BridgeParts,
  createPool,
  type HistoryRow,
  postgresConnection,
  SchemaVersionError,
} from "../bridge/index.js";
import { type BridgeConfig, type Config, isPostgresUrl } from "../config/index.js";
import { LdapDirectory, openDirectory } from "../directory/index.js";
import {
  type AccountStatusSource,
  configuredExporters,
  httpServersSource,
  localExporterUrl,
} from "../exporter/index.js";
import type { BasicCredentials } from "../http-auth.js";
import { type JournalReader, openJournalReader, serversJournal } from "../journal/index.js";
import type { Logger } from "../log.js";
import { closeServer, listen, type RunningService, warnRestartOnly } from "../service.js";
import { openEntrySource } from "./directory.js";
import { createSelfcareApp } from "./http.js";
import { Portal } from "./portal.js";
import { PostgresSelfcareStore } from "./postgres-store.js";
import { alertmanagerSilences } from "./silences.js";
import { type SelfcareStore, SqliteSelfcareStore } from "./store.js";

export type { Grant, PortalPerson, Scope } from "./access.js";
export { explainPersonCommand, explainUnsubscriptions, resubscribeCommand } from "./explain.js";
export type { AuditEntry, Pause, SelfcareStore, Session } from "./store.js";
export { SqliteSelfcareStore } from "./store.js";

export interface SelfcareParts {
  /** The exporter's state in memory (`start`); otherwise read from selfcare.exporters or exporterUrl. */
  status?: AccountStatusSource;
  /** The bridge's mail history in memory (`start`); otherwise read from the outbox file. */
  history?: (account: string, limit: number) => Promise<HistoryRow[]>;
  /** The store of sessions, pauses and audit; otherwise SQLite in the outbox file. */
  store?: SelfcareStore;
  /** The run journal; otherwise the one `history` configures (the exporter's file, or PostgreSQL). */
  journal?: JournalReader;
}

export interface RunningSelfcare extends RunningService {
  portal: Portal;
}

/**
 * The store the configuration implies: in the bridge's outbox, a SQLite file or the PostgreSQL
 * database of a `postgres://` outbox (shared by every bridge instance and portal).
 */
export function openSelfcareStore(config: Config): SelfcareStore {
  const migrate = config.bridge.migrateAtStart;
  if (isPostgresUrl(config.bridge.outbox))
    return new PostgresSelfcareStore(createPool(postgresConnection(config.bridge)), { migrate });
  return new SqliteSelfcareStore(config.bridge.outbox, { migrate });
}

/** What the bridge reads of the self-care store while routing: the pauses and the unsubscriptions in force. */
export const bridgePartsOf = (
  store: Pick<SelfcareStore, "activePauses" | "activeUnsubscriptions">,
): Required<Pick<BridgeParts, "pauses" | "unsubscriptions">> => ({
  pauses: (accounts, at) => store.activePauses(accounts, at),
  unsubscriptions: (addresses) => store.activeUnsubscriptions(addresses),
});

/** The self-care store for a command that only reads or undoes: none while a SQLite outbox does not exist yet. */
export const existingSelfcareStore = (config: Config): SelfcareStore | undefined =>
  isPostgresUrl(config.bridge.outbox) || existsSync(config.bridge.outbox)
    ? openSelfcareStore(config)
    : undefined;

/**
 * The bridge's history read from its outbox file; before the bridge first ran (no outbox yet, or one
 * of an older schema) there is none to show, which the log says once.
 */
function outboxHistory(bridge: BridgeConfig, log: Logger): NonNullable<SelfcareParts["history"]> {
  let warned = false;
  return async (account, limit) => {
    try {
      return await accountHistory(bridge, account, limit);
    } catch (error) {
      if (!(error instanceof SchemaVersionError)) throw error;
      if (!warned) log.warn({ err: error.message }, "no mail history to show until the bridge has run");
      warned = true;
      return [];
    }
  };
}

/** `selfcare.exporters`, else `selfcare.exporterUrl`, else this configuration's exporter. */
const exporters = (config: Config) => {
  const configured = configuredExporters(config.selfcare);
  if (configured.length > 0) return configured;
  return configuredExporters({ exporterUrl: localExporterUrl(config.exporter.listen) });
};

/**
 * The run journal the portal reads: with a list of backup servers' exporters and no shared journal
 * database, each account's from the exporter of the server that holds it (each server keeps its own
 * SQLite journal); otherwise the one `history` configures, read directly.
 */
function openPortalJournal(
  config: Config,
  status: AccountStatusSource,
  credentials: BasicCredentials | undefined,
  log: Logger,
): JournalReader {
  const list = config.selfcare.exporters;
  if (!list || config.history.journal.database) return openJournalReader(config.history, log);
  return serversJournal(
    list,
    credentials,
    async (account) => (await status.accounts([account])).get(account)?.server,
    log,
  );
}

/** Start the self-care portal; resolves once it listens. */
export async function startSelfcare(
  config: Config,
  logger: Logger,
  parts: SelfcareParts = {},
): Promise<RunningSelfcare> {
  const log = logger.child({ component: "selfcare" });
  // Always fresh: the scope has its own short cache, and a settings change must show at once.
  const directoryConfig = { ...config.directory, cacheTtlSeconds: 0 };
  const directory = openDirectory(directoryConfig, log);
  const writer = config.selfcare.bindDN
    ? { bindDN: config.selfcare.bindDN, bindPassword: config.selfcare.bindPassword ?? "" }
    : {
        ...(config.directory.bindDN ? { bindDN: config.directory.bindDN } : {}),
        bindPassword: config.directory.bindPassword ?? "",
      };
  const source = openEntrySource(
    directoryConfig,
    () => (directory instanceof LdapDirectory ? directory : new LdapDirectory(directoryConfig, log)),
    writer,
  );
  const ownStore = parts.store === undefined;
  const store = parts.store ?? openSelfcareStore(config);
  const basic = config.exporter.basicAuth;
  const exporterCredentials = basic
    ? { username: basic.username, password: basic.password ?? "" }
    : undefined;
  const status = parts.status ?? httpServersSource(exporters(config), exporterCredentials, log);
  const history = parts.history ?? outboxHistory(config.bridge, log);
  const ownJournal = parts.journal === undefined;
  const journal = parts.journal ?? openPortalJournal(config, status, exporterCredentials, log);
  const silences = config.selfcare.alertmanagerUrl
    ? alertmanagerSilences(config.selfcare.alertmanagerUrl)
    : undefined;
  const portal = new Portal({
    config,
    source,
    directory,
    status,
    history,
    store,
    journal,
    ...(silences ? { silences } : {}),
    logger: log,
  });
  const app = createSelfcareApp(portal, log);
  let listening: Awaited<ReturnType<typeof listen>>;
  try {
    listening = await listen(app, config.selfcare.listen);
  } catch (error) {
    await directory.close();
    if (ownStore) await store.close();
    if (ownJournal) await journal.close();
    throw error;
  }
  const { server, url } = listening;
  const purge = setInterval(() => {
    portal
      .purgeSessions()
      .catch((error: unknown) => log.warn({ err: error }, "removing idle sessions failed"));
  }, 60_000);
  purge.unref();
  log.info({ url, baseUrl: config.selfcare.baseUrl ?? url }, "self-care portal listening");
  return {
    url,
    portal,
    // The portal is built once from its settings and the directory's: a change waits for a restart.
    async reload(next) {
      warnRestartOnly(log, config, next, {
        selfcare: (c) => c.selfcare,
        directory: (c) => c.directory,
        "history.journal": (c) => c.history,
        "bridge.templates": (c) => c.bridge.templates,
      });
    },
    async close() {
      clearInterval(purge);
      await closeServer(server);
      await directory.close();
      if (ownStore) await store.close();
      if (ownJournal) await journal.close();
    },
  };
}
