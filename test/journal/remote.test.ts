import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/exporter/http.js";
import {
  type JournalReader,
  type JournalRun,
  JournalUnavailableError,
  serversJournal,
} from "../../src/journal/index.js";
import { freePort } from "../support/common.js";

const logger = pino({ level: "silent" });
const credentials = { username: "prometheus", password: "s3cret" };
const run = (account: string, host: string, endedMs: number): JournalRun => ({
  account,
  host,
  runId: `${host}-${endedMs}`,
  endedMs,
  success: true,
});

/** A journal holding these runs, as an exporter's file would. */
const journalOf = (runs: JournalRun[]): JournalReader => ({
  runs: async (account, sinceMs, untilMs) =>
    runs.filter((r) => r.account === account && r.endedMs >= sinceMs && r.endedMs <= untilMs),
  usage: async () => [],
  close: async () => {},
});

describe("the journal of several backup servers, read from their exporters", () => {
  const servers: Server[] = [];
  const exporters: Array<{ name: string; url: string }> = [];
  /** 3723704 moved from backup-02 to backup-01: its older run is still in backup-02's journal. */
  const journals = {
    "backup-01": journalOf([run("3723704", "pc", 2_000), run("3723701", "laptop", 3_000)]),
    "backup-02": journalOf([run("3723704", "old-pc", 1_000), run("3723701", "nas", 1_500)]),
  };

  beforeAll(async () => {
    for (const [name, journal] of Object.entries(journals)) {
      const app = createApp(
        { body: () => undefined, selfMetrics: async () => "", ready: () => true, journal },
        logger,
        credentials,
      );
      const server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      servers.push(server);
      exporters.push({ name, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
  });

  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  const serverOf = (held: Record<string, string>) => async (account: string) => held[account];

  it("reads an account from the server that holds it only", async () => {
    const journal = serversJournal(exporters, credentials, serverOf({ "3723704": "backup-01" }), logger);
    expect((await journal.runs("3723704", 0, 10_000)).map((r) => r.host)).toEqual(["pc"]);
  });

  it("reads an account no server holds from every server, oldest run first", async () => {
    const journal = serversJournal(exporters, credentials, serverOf({}), logger);
    expect((await journal.runs("3723701", 0, 10_000)).map((r) => r.host)).toEqual(["nas", "laptop"]);
  });

  it("names the server whose exporter does not answer or refuses the credentials, instead of an empty history", async () => {
    const down = { name: "backup-03", url: `http://127.0.0.1:${await freePort()}` };
    const journal = serversJournal(
      [...exporters, down],
      credentials,
      serverOf({ "3723709": "backup-03" }),
      logger,
    );
    const failure = await journal.runs("3723709", 0, 10_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JournalUnavailableError);
    expect((failure as JournalUnavailableError).servers).toEqual(["backup-03"]);
    const unknown = await journal.usage("3723701", 0, 1).catch((error: unknown) => error);
    expect((unknown as JournalUnavailableError).servers).toEqual(["backup-03"]);

    const refused = serversJournal(exporters, { ...credentials, password: "nope" }, serverOf({}), logger);
    const denied = await refused.runs("3723701", 0, 10_000).catch((error: unknown) => error);
    expect((denied as JournalUnavailableError).servers).toEqual(["backup-01", "backup-02"]);
  });
});
