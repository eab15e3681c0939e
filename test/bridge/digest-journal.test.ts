import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runsInPeriod } from "../../src/bridge/digests/content.js";
import { lastCompletePeriod, zonedBounds } from "../../src/bridge/digests/period.js";
import { queueDueDigests } from "../../src/bridge/digests/scheduler.js";
import { digestJournal, directoryResolver } from "../../src/bridge/index.js";
import type { NewDigest } from "../../src/bridge/outbox.js";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { configSchema } from "../../src/config/index.js";
import { openDirectory } from "../../src/directory/index.js";
import { startExporter } from "../../src/exporter/index.js";
import { dayOf, type JournalRun, type LocalJournalReader, type UsageDay } from "../../src/journal/index.js";
import { PostgresJournal } from "../../src/journal/postgres.js";
import { SqliteJournal, SqliteJournalReader } from "../../src/journal/sqlite.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";
import { bridgeFixture, captureLogger, exampleDigestConfig } from "./support.js";

const run = (account: string, ended: string, success: boolean, runId = ended): JournalRun => ({
  account,
  host: "pc",
  runId,
  endedMs: Date.parse(ended),
  success,
});

describe("runs in a digest's period", () => {
  it("are the period's calendar days where the recipient lives", () => {
    const november = lastCompletePeriod("month", Date.parse("2026-12-01T07:00:00Z"));
    expect(zonedBounds(november, "Europe/Zurich")).toEqual({
      startMs: Date.parse("2026-10-31T23:00:00Z"),
      endMs: Date.parse("2026-11-30T23:00:00Z"),
    });
    expect(zonedBounds(november, "+01:00")).toEqual(zonedBounds(november, "Europe/Zurich"));
    expect(zonedBounds(november, "America/New_York")).toEqual({
      startMs: Date.parse("2026-11-01T04:00:00Z"),
      endMs: Date.parse("2026-12-01T05:00:00Z"),
    });
    // Zurich changes to summer time on Sunday 28 March 2027: that week starts at +01:00 and ends at +02:00.
    const week = lastCompletePeriod("week", Date.parse("2027-03-29T07:00:00Z"));
    expect(zonedBounds(week, "Europe/Zurich")).toEqual({
      startMs: Date.parse("2027-03-21T23:00:00Z"),
      endMs: Date.parse("2027-03-28T22:00:00Z"),
    });
  });

  it("count successful and failed runs per account that ended from the start up to, not including, the end", () => {
    const start = Date.parse("2026-10-31T23:00:00Z");
    const end = Date.parse("2026-11-30T23:00:00Z");
    const runs = [
      run("a", "2026-10-31T22:59:59.999Z", true),
      run("a", "2026-10-31T23:00:00Z", true),
      run("a", "2026-11-12T10:00:00Z", false),
      run("a", "2026-11-30T22:59:59.999Z", true),
      run("a", "2026-11-30T23:00:00Z", false),
      run("b", "2026-11-02T10:00:00Z", false),
    ];
    expect(runsInPeriod(runs, start, end)).toEqual(
      new Map([
        ["a", { succeeded: 2, failed: 1 }],
        ["b", { succeeded: 0, failed: 1 }],
      ]),
    );
    expect(runsInPeriod([], start, end)).toEqual(new Map());
  });
});

describe("the journal digests count from", () => {
  it("is the configured one, unless several backup servers each keep their own history file", async () => {
    const { logger } = captureLogger("fatal");
    const config = (exporters: number, database?: string) =>
      configSchema.parse({
        directory: { url: "file:directory.ldif" },
        history: { path: "/nonexistent/history.sqlite", journal: database ? { database } : {} },
        bridge: {
          exporters: Array.from({ length: exporters }, (_, i) => ({
            name: `server${i}`,
            url: `http://127.0.0.1:${9000 + i}`,
          })),
        },
      });
    const one = digestJournal(config(1), logger);
    expect(one).toBeInstanceOf(SqliteJournalReader);
    expect(await one?.firstDay()).toBeUndefined();
    await one?.close();
    expect(digestJournal(config(2), logger)).toBeUndefined();
    const shared = digestJournal(config(2, "postgres://127.0.0.1:1/journal"), logger);
    expect(shared).toBeInstanceOf(PostgresJournal);
    await shared?.close();
  });
});

/** Jürg (3723702, German, +01:00) asked for the monthly digest; his reseller's weekly one is in Zurich's time. */
const fixture = (dir: string) =>
  exampleDigestConfig(dir, ["3723702"], {
    smtp: { url: "smtp://127.0.0.1:1", from: "Backup <backup@stoney.example>" },
  });

const DUE = Date.parse("2026-12-01T07:00:00Z");

/** A journal holding these runs and usage days, written as the exporter writes it, read as the bridge reads it. */
type JournalWith = (
  dir: string,
  runs: readonly JournalRun[],
  usage: readonly UsageDay[],
) => Promise<LocalJournalReader>;

function suite(dialect: string, journalWith: () => JournalWith) {
  describe(`monthly digests counted from the run journal (${dialect})`, () => {
    const bridges = bridgeFixture();

    /** Jürg's November digest and his reseller's digest of 23–29 November, from the exporter's state collected at `collected` and this journal. */
    async function digestText(journalRuns: readonly JournalRun[], firstDay: string, collected: string) {
      const dir = bridges.temp();
      const config = fixture(dir);
      const { logger } = captureLogger("fatal");
      const exporter = await startExporter(config, logger, { now: () => new Date(collected) });
      bridges.defer(() => exporter.close());
      await exporter.collect();
      const journal = await journalWith()(dir, journalRuns, [
        { account: "3723702", day: dayOf(Date.parse(firstDay)) },
      ]);
      bridges.defer(() => journal.close());
      const directory = openDirectory(config.directory, logger);
      bridges.defer(() => directory.close());
      const outbox = new SqliteOutbox(config.bridge.outbox);
      bridges.defer(() => outbox.close());
      const queued: NewDigest[] = [];
      const store = {
        createDigests: (digests: NewDigest[], now: number) => {
          queued.push(...digests);
          return outbox.createDigests(digests, now);
        },
        previousDigest: outbox.previousDigest.bind(outbox),
      };
      await queueDueDigests(
        {
          config: config.bridge,
          store,
          status: exporter.status,
          resolver: directoryResolver(directory, config.directory),
          logger,
          journal,
        },
        DUE,
      );
      const text = (recipient: string) => queued.find((d) => d.recipient === recipient)?.mail.text ?? "";
      return {
        customer: text("juerg.mueller@example.ch"),
        reseller: text("support@muster-reseller.example"),
      };
    }

    // November for Jürg (+01:00): 31 October 23:00 UTC to 30 November 23:00 UTC.
    const runs = [
      run("3723702", "2026-10-31T22:30:00Z", true),
      run("3723702", "2026-10-31T23:30:00Z", true),
      run("3723702", "2026-10-31T23:45:00Z", false),
      run("3723702", "2026-11-15T10:00:00Z", true),
      run("3723702", "2026-11-20T10:00:00Z", false),
      run("3723702", "2026-11-25T10:00:00Z", true),
      run("3723702", "2026-11-30T23:00:00Z", true),
      run("3723702", "2026-12-01T02:00:00Z", false),
      // The week 23–29 November in Zurich: 22 November 23:00 UTC to 29 November 23:00 UTC.
      run("3723703", "2026-11-15T10:00:00Z", false),
      run("3723703", "2026-11-22T22:30:00Z", false),
      run("3723703", "2026-11-22T23:30:00Z", true),
      run("3723703", "2026-11-29T23:30:00Z", false),
    ];

    it("count the runs of exactly the month and the week in the recipient’s zone, not those just before or after them", async () => {
      const { customer, reseller } = await digestText(runs, "2026-10-01T08:00:00Z", "2026-12-01T05:00:00Z");
      expect(customer).toContain(
        "so lief Ihr Online-Backup im November 2026, Stand 1. Dezember 2026 um 06:00",
      );
      expect(customer).toMatch(/(Ihr Computer wurde|Ihre \d+ Computer wurden) 3 Mal gesichert, zuletzt am/);
      expect(customer).toContain(
        "2 Sicherungen wurden in diesem Zeitraum nicht abgeschlossen; was zu tun ist, steht in den Nachrichten, die wir Ihnen dazu geschickt haben.",
      );
      expect(customer).not.toContain("Seit dem vorigen Bericht");
      expect(reseller).toContain("Sicherungen der Woche");
      expect(reseller).toMatch(/^3723702 .* 1 abgeschlossen, 0 fehlgeschlagen /m);
      expect(reseller).toMatch(/^3723703 .* 1 abgeschlossen, 0 fehlgeschlagen /m);
    });

    it("keep the exporter’s counters when the journal began during the period or the state is older than its end", async () => {
      for (const [firstDay, collected] of [
        // The journal began inside the week; the state was collected before the week's end in Zurich.
        ["2026-11-24T08:00:00Z", "2026-12-01T05:00:00Z"],
        ["2026-10-01T08:00:00Z", "2026-11-29T22:00:00Z"],
      ] as const) {
        const { customer, reseller } = await digestText(runs, firstDay, collected);
        expect(customer).toContain("so lief Ihr Online-Backup im November 2026");
        expect(customer).not.toContain("Mal gesichert");
        expect(customer).not.toContain("nicht abgeschlossen");
        expect(reseller).toContain("in der Woche vom 23.–29. November 2026");
        expect(reseller).not.toContain("Sicherungen der Woche");
      }
    });
  });
}

suite("SQLite", () => async (dir, runs, usage) => {
  const file = path.join(dir, "journal.sqlite");
  const writer = SqliteJournal.open(file);
  await writer.write(runs, usage);
  await writer.close();
  return new SqliteJournalReader(file);
});

describe.skipIf(!requirePostgres())("PostgreSQL", () => {
  let server: Postgres;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => server?.dispose());
  let databases = 0;
  suite("PostgreSQL", () => async (_dir, runs, usage) => {
    databases += 1;
    const journal = new PostgresJournal(await server.createDatabase(`digest_journal_${databases}`));
    await journal.write(runs, usage);
    return journal;
  });
});
