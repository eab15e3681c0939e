import type { BackupServerExporter } from "../exporter/servers.js";
import { type BasicCredentials, fetchFromExporter } from "../http-auth.js";
import type { Logger } from "../log.js";
import { DAY_MS, type JournalReader, type JournalRun, type UsageDay } from "./model.js";

/** The journal of these backup servers could not be read: their history is unknown, not empty. */
export class JournalUnavailableError extends Error {
  constructor(readonly servers: readonly string[]) {
    super(`run journal not readable from ${servers.join(", ")}`);
    this.name = "JournalUnavailableError";
  }
}

type Credentials = BasicCredentials | undefined;

const iso = (ms: number) => new Date(ms).toISOString();

/** One exporter's journal of an account, read from its `/api/v1/journal/accounts/<uid>/…` endpoints. */
function exporterJournal(baseUrl: string, credentials: Credentials): JournalReader {
  const read = async <T>(account: string, kind: "runs" | "usage", sinceMs: number, untilMs: number) => {
    const response = await fetchFromExporter(
      baseUrl,
      `api/v1/journal/accounts/${encodeURIComponent(account)}/${kind}`,
      credentials,
      { since: iso(sinceMs), until: iso(untilMs) },
    );
    if (!response.ok) throw new Error(`exporter journal ${baseUrl}: HTTP ${response.status}`);
    return ((await response.json()) as Record<typeof kind, T[]>)[kind];
  };
  return {
    runs: (account, sinceMs, untilMs) => read<JournalRun>(account, "runs", sinceMs, untilMs),
    usage: (account, sinceDay, untilDay) =>
      read<UsageDay>(account, "usage", sinceDay * DAY_MS, untilDay * DAY_MS),
    close: async () => {},
  };
}

/**
 * The journal of every backup server, each on its own machine: an account's journal is read from the
 * exporter of the server that holds it (`serverOf`), or from all of them when no server is known. An
 * exporter that does not answer makes the read fail with the servers concerned, so that no reader
 * takes a journal it could not see for days without backups.
 */
export function serversJournal(
  exporters: readonly BackupServerExporter[],
  credentials: Credentials,
  serverOf: (account: string) => Promise<string | undefined>,
  logger: Logger,
): JournalReader {
  const readers = new Map(exporters.map((e) => [e.name, exporterJournal(e.url, credentials)]));
  const across = async <T>(
    account: string,
    read: (reader: JournalReader) => Promise<T[]>,
    order: (a: T, b: T) => number,
  ): Promise<T[]> => {
    const server = await serverOf(account);
    const names = server !== undefined && readers.has(server) ? [server] : [...readers.keys()];
    const results = await Promise.allSettled(names.map((name) => read(readers.get(name) as JournalReader)));
    const unavailable = names.filter((name, i) => {
      const result = results[i] as PromiseSettledResult<T[]>;
      if (result.status === "fulfilled") return false;
      logger.warn(
        {
          server: name,
          account,
          err: result.reason instanceof Error ? result.reason.message : String(result.reason),
        },
        "backup server's run journal not readable: the account's history is shown as unavailable",
      );
      return true;
    });
    if (unavailable.length > 0) throw new JournalUnavailableError(unavailable);
    return results.flatMap((r) => (r.status === "fulfilled" ? r.value : [])).sort(order);
  };
  return {
    runs: (account, sinceMs, untilMs) =>
      across(
        account,
        (reader) => reader.runs(account, sinceMs, untilMs),
        (a, b) => a.endedMs - b.endedMs || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0),
      ),
    usage: (account, sinceDay, untilDay) =>
      across(
        account,
        (reader) => reader.usage(account, sinceDay, untilDay),
        (a, b) => a.day - b.day,
      ),
    close: async () => {},
  };
}
