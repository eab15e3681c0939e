import { once } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Config, ConfigError, type Listen } from "./config/index.js";
import type { Logger } from "./log.js";

/** A long-running part of the monitor (exporter, bridge) as its command sees it. */
export interface RunningService {
  url: string;
  /**
   * Go on with a new configuration without dropping a request or a collection; what only a restart can
   * change (a listen address, a store's path) is logged and kept. Rejects, keeping the old
   * configuration, when the new one cannot be used.
   */
  reload?(config: Config): Promise<void>;
  close(): Promise<void>;
}

/** A service cannot start for a reason the operator can fix (port taken, store not writable). */
export class ServiceStartError extends Error {
  override name = "ServiceStartError";
}

/**
 * Connections waiting for accept(): Node's default of 511 overflows when Alertmanager flushes thousands
 * of groups at once, and every dropped SYN waits a second or more for its retransmission. Linux caps
 * it at net.core.somaxconn, which is what Go servers (Alertmanager, Prometheus) ask for.
 */
const listenBacklog = 65_535;

/** Listen on the configured address; a taken port becomes a ServiceStartError naming the address. */
export async function listen(
  app: RequestListener,
  address: Listen,
): Promise<{ server: Server; url: string }> {
  const server = createServer(app).listen(address.port, address.host, listenBacklog);
  try {
    await once(server, "listening");
  } catch (error) {
    throw new ServiceStartError(
      `cannot listen on ${address.host}:${address.port}: ${(error as Error).message}`,
    );
  }
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return { server, url: `http://${host}:${port}` };
}

/** Serve the next requests with `app`; requests in progress finish on the handler that took them. */
export function replaceHandler(server: Server, app: RequestListener): void {
  server.removeAllListeners("request");
  server.on("request", app);
}

/** Two pieces of configuration are the same when they serialise the same. */
export const sameSettings = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Warn about each of `settings` that differs between the configuration a service started with and the
 * one it is reloading: only a restart applies them, and the running values stay.
 */
export function warnRestartOnly(
  logger: Logger,
  started: Config,
  next: Config,
  settings: Record<string, (config: Config) => unknown>,
): void {
  for (const [setting, read] of Object.entries(settings))
    if (!sameSettings(read(started), read(next)))
      logger.warn({ setting }, "a restart is needed to apply this setting; the running value is kept");
}

/** Stop accepting requests, let running ones finish, then drop the keep-alive connections. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  server.closeAllConnections();
  await closed;
}

/**
 * Start the services in order and run until SIGINT/SIGTERM, then close them in reverse order.
 * A service that cannot start stops the ones already started and exits 1 with a one-line reason.
 * SIGHUP reads the configuration again (`load`) and hands it to each service; a configuration that
 * does not load is logged and the running one kept. Reloads run one after the other, after the
 * start; none begins once the stop has. The log level follows the file; its format stays the one
 * `initial` started with.
 */
export async function serveUntilSignal(
  logger: Logger,
  services: ReadonlyArray<{ name: string; start: () => Promise<RunningService> }>,
  load: () => Config,
  initial: Config,
): Promise<number> {
  const running: { name: string; service: RunningService }[] = [];
  let started: () => void = () => {};
  let reloads = new Promise<void>((resolve) => {
    started = resolve;
  });
  let stopping = false;
  const reload = async () => {
    if (stopping) return;
    let config: Config;
    try {
      config = load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      logger.error(
        { file: error.file, problems: error.problems },
        "configuration reload failed: the running configuration is kept",
      );
      return;
    }
    warnRestartOnly(logger, initial, config, { "logging.format": (c) => c.logging.format });
    logger.level = config.logging.level;
    let failed = false;
    for (const { name, service } of running) {
      if (stopping) return;
      try {
        await service.reload?.(config);
      } catch (error) {
        failed = true;
        logger.error(
          { service: name, reason: error instanceof Error ? error.message : String(error) },
          "configuration reload failed: the service keeps its running configuration",
        );
      }
    }
    if (!failed) logger.info("configuration reloaded");
  };
  const hangUp = () => {
    if (stopping) return;
    logger.info({ signal: "SIGHUP" }, "reloading the configuration");
    reloads = reloads.then(reload).catch((error: unknown) => {
      logger.error({ err: error }, "configuration reload failed: the running configuration is kept");
    });
  };
  process.on("SIGHUP", hangUp);
  try {
    for (const { name, start } of services) {
      try {
        running.push({ name, service: await start() });
      } catch (error) {
        process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
        for (const { service } of running.reverse()) await service.close();
        return 1;
      }
    }
    started();
    const signal = await new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    logger.info({ signal }, "stopping");
    // A reload in progress is not waited for (it may wait for a long collection): each service's close
    // settles its own reload first.
    stopping = true;
    for (const { service } of running.reverse()) await service.close();
    await reloads;
    return 0;
  } finally {
    stopping = true;
    started();
    process.off("SIGHUP", hangUp);
  }
}
