import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { Listen } from "./config/index.js";
import type { Logger } from "./log.js";

/** A long-running part of the monitor (exporter, bridge) as its command sees it. */
export interface RunningService {
  url: string;
  close(): Promise<void>;
}

/** A service cannot start for a reason the operator can fix (port taken, store not writable). */
export class ServiceStartError extends Error {
  override name = "ServiceStartError";
}

/** Listen on the configured address; a taken port becomes a ServiceStartError naming the address. */
export async function listen(app: Express, address: Listen): Promise<{ server: Server; url: string }> {
  const server = app.listen(address.port, address.host);
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
 */
export async function serveUntilSignal(
  logger: Logger,
  services: ReadonlyArray<{ name: string; start: () => Promise<RunningService> }>,
): Promise<number> {
  const running: RunningService[] = [];
  for (const { name, start } of services) {
    try {
      running.push(await start());
    } catch (error) {
      process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
      for (const service of running.reverse()) await service.close();
      return 1;
    }
  }
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info({ signal }, "stopping");
  for (const service of running.reverse()) await service.close();
  return 0;
}
