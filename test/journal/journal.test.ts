import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackupReader } from "../../src/backup/index.js";
import { createPool } from "../../src/bridge/postgres.js";
import { type Config, configSchema } from "../../src/config/index.js";
import {
  dayOf,
  type LocalJournalReader,
  openJournalReader,
  openJournalWriter,
} from "../../src/journal/index.js";
import { journalHistory } from "../../src/journal/model.js";
import { postgresJournalMigrations } from "../../src/journal/postgres.js";
import { sqliteJournalMigrations } from "../../src/journal/sqlite.js";
import type { Migration } from "../../src/store/migrations.js";
import { migratePostgres } from "../../src/store/postgres.js";
import { migrateSqlite } from "../../src/store/sqlite.js";
import { account, capturingLogger, exampleBackupRoot, NOW } from "../backup/support.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";

const DAY = 86_400_000;
const uid = "3723701";
const metadata = (root: string) => path.join(root, uid, "incoming/EMPFANG-PC/.sepiola_backup");

/** Rewrite the host's run files as the client does after a run: a new id, start and end. */
function clientRan(root: string, id: string, start: string, end: string, success: boolean): void {
  const dir = metadata(root);
  const started = readFileSync(path.join(dir, "backupStarted.xml"), "utf8")
    .replace(/<startdate>[^<]*</, `<startdate>${start}<`)
    .replace(/<id>[^<]*</, `<id>${id}<`);
  const ended = readFileSync(path.join(dir, "backupEnded.xml"), "utf8")
    .replace(/<enddate>[^<]*</, `<enddate>${end}<`)
    .replace(/<id>[^<]*</, `<id>${id}<`)
    .replace(/<success>[^<]*</, `<success>${success ? 1 : 0}<`);
  writeFileSync(path.join(dir, "backupStarted.xml"), started);
  writeFileSync(path.join(dir, "backupEnded.xml"), ended);
}

/** Both dialects: the history file, and PostgreSQL when `database` gives a URL. */
function suite(dialect: string, database: () => Promise<string | undefined>) {
  describe(`run journal (${dialect})`, () => {
    let root: string;
    let config: Config;
    const subject = account(uid, { quotaBytes: 10_000, backupSizeBytes: 4_000 });

    let dir: string;
    beforeAll(async () => {
      const url = await database();
      // One tree and one store for the whole sequence of exporter lifetimes below.
      dir = mkdtempSync(path.join(tmpdir(), "stoney-journal-"));
      root = path.join(dir, "backup");
      cpSync(path.join(exampleBackupRoot, uid), path.join(root, uid), { recursive: true });
      config = configSchema.parse({
        directory: { url: "file:directory.ldif" },
        backup: { root, readerThreads: 0 },
        history: { path: path.join(dir, "history.sqlite"), journal: url ? { database: url } : {} },
      });
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** One exporter lifetime: open, collect at these instants, close (which writes what is queued). */
    async function exporterRun(...instants: Date[]): Promise<void> {
      const reader = createBackupReader(config, capturingLogger().logger);
      for (const now of instants) {
        await reader.prepareCollection(now);
        await reader.readAccount(subject, now);
      }
      await reader.close();
    }

    async function journal<T>(read: (journal: LocalJournalReader) => Promise<T>): Promise<T> {
      const reader = openJournalReader(config.history);
      try {
        return await read(reader);
      } finally {
        await reader.close();
      }
    }

    it("records a run once across collections and restarts, with its start, end, result and client", async () => {
      await exporterRun(NOW, new Date(NOW.getTime() + 60_000));
      await exporterRun(new Date(NOW.getTime() + 120_000));
      const runs = await journal((j) => j.runs(uid, 0, NOW.getTime()));
      expect(runs).toEqual([
        {
          account: uid,
          host: "EMPFANG-PC",
          runId: "7719417",
          startedMs: Date.parse("2026-11-25T18:30:02Z"),
          endedMs: Date.parse("2026-11-25T18:47:45Z"),
          success: true,
          clientVersion: "2.6.1",
        },
      ]);
    });

    it("records the run that ended while the exporter was down when it next sees it", async () => {
      clientRan(root, "7719418", "2026-11-27T19:30:00+01:00", "2026-11-27T19:41:00+01:00", false);
      await exporterRun(new Date("2026-11-28T09:00:00Z"));
      const runs = await journal((j) => j.runs(uid, 0, Date.parse("2026-11-29T00:00:00Z")));
      expect(runs.map((run) => [run.runId, run.success, run.endedMs - (run.startedMs ?? 0)])).toEqual([
        ["7719417", true, 1_063_000],
        ["7719418", false, 660_000],
      ]);
    });

    it("records each account's usage once per day the exporter collected, days without it absent", async () => {
      const usage = await journal((j) => j.usage(uid, 0, dayOf(Date.parse("2026-12-31T00:00:00Z"))));
      expect(usage).toEqual([
        { account: uid, day: dayOf(NOW.getTime()), usedBytes: 4_000, quotaBytes: 10_000 },
        {
          account: uid,
          day: dayOf(Date.parse("2026-11-28T09:00:00Z")),
          usedBytes: 4_000,
          quotaBytes: 10_000,
        },
      ]);
      // The first day recorded: what a digest's period is checked against before it counts runs.
      expect(await journal((j) => j.firstDay())).toBe(dayOf(NOW.getTime()));
    });

    it("deletes runs and usage older than the retention, in several small batches", async () => {
      const writer = openJournalWriter(
        { ...config.history, journal: { ...config.history.journal, retentionDays: 30 } },
        capturingLogger().logger,
      );
      const old = Date.parse("2026-01-01T00:00:00Z");
      for (let i = 0; i < 2_500; i++)
        writer.recordRun({
          account: "old",
          host: "pc",
          runId: String(i),
          endedMs: old + i * 1000,
          success: true,
        });
      for (let day = 59; day >= 0; day--)
        writer.recordUsage("old", { usedBytes: day }, new Date(NOW.getTime() - day * DAY));
      await writer.flush();
      await writer.prune(NOW);
      expect(writer.stats().bytes).toBeGreaterThan(0);
      expect(writer.stats().writeSeconds).toBeGreaterThan(0);
      await writer.close();
      const kept = await journal(async (j) => ({
        runs: await j.runs("old", 0, NOW.getTime()),
        days: await j.usage("old", 0, dayOf(NOW.getTime())),
        recent: await j.runs(uid, 0, Date.parse("2026-11-29T00:00:00Z")),
      }));
      expect(kept.runs).toEqual([]);
      // The retention counts from now: the usage days of the last 30 days stay, the recent runs too.
      expect(kept.days.map((d) => d.day)).toEqual(
        Array.from({ length: 31 }, (_, i) => dayOf(NOW.getTime()) - 30 + i),
      );
      expect(kept.recent).toHaveLength(2);
    });
  });
}

suite("SQLite", async () => undefined);

it("prunes the journal at the first collection and then at most once an hour", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-journal-"));
  try {
    const config = configSchema.parse({
      directory: { url: "file:directory.ldif" },
      backup: { root: path.join(dir, "backup"), readerThreads: 0 },
      history: { path: path.join(dir, "history.sqlite"), journal: { retentionDays: 30 } },
    });
    const oldRun = async (runId: string) => {
      const writer = openJournalWriter(config.history, capturingLogger().logger);
      writer.recordRun({
        account: "old",
        host: "pc",
        runId,
        endedMs: NOW.getTime() - 40 * DAY,
        success: true,
      });
      await writer.close();
    };
    const kept = async () => {
      const reader = openJournalReader(config.history);
      const runs = await reader.runs("old", 0, NOW.getTime());
      await reader.close();
      return runs.map((run) => run.runId);
    };
    const exporter = createBackupReader(config, capturingLogger().logger);
    const collectAt = async (minutes: number) => {
      await exporter.prepareCollection(new Date(NOW.getTime() + minutes * 60_000));
      // The pruning runs in the background; SQLite's statements are done within a few turns.
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await oldRun("1");
    await collectAt(0);
    expect(await kept()).toEqual([]);
    await oldRun("2");
    await collectAt(59);
    expect(await kept()).toEqual(["2"]);
    await collectAt(60);
    expect(await kept()).toEqual([]);
    await exporter.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The first schema, as the earliest exporters wrote it. */
const firstSchema = (migrations: readonly Migration[]) => journalHistory(migrations.slice(0, 1));

/** Rows as the first schema held them: two runs of one host, and one run stored twice under two ids. */
const firstSchemaRows = `
INSERT INTO journal_runs (account, host, run_id, started_ms, ended_ms, success, client_version) VALUES
  ('3723701', 'pc', '1', 1000, 2000, 1, '2.6.1'),
  ('3723701', 'pc', '2', 5000, 9000, 0, NULL),
  ('3723701', 'pc', '3', 5000, 9000, 0, NULL);
INSERT INTO journal_usage (account, day, used_bytes, quota_bytes) VALUES ('3723701', 20000, 10, 100);`;

/** What the current program reads from a journal migrated from those rows: each run once. */
async function expectMigratedRows(reader: LocalJournalReader): Promise<void> {
  expect(await reader.runs("3723701", 0, 10_000)).toEqual([
    {
      account: "3723701",
      host: "pc",
      runId: "1",
      startedMs: 1000,
      endedMs: 2000,
      success: true,
      clientVersion: "2.6.1",
    },
    { account: "3723701", host: "pc", runId: "2", startedMs: 5000, endedMs: 9000, success: false },
  ]);
  expect(await reader.usage("3723701", 0, 30_000)).toEqual([
    { account: "3723701", day: 20000, usedBytes: 10, quotaBytes: 100 },
  ]);
}

it("keeps the runs and usage of a journal written by the first schema when it migrates it (SQLite)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-journal-"));
  try {
    const file = path.join(dir, "history.sqlite");
    const old = new Database(file);
    migrateSqlite(old, true, firstSchema(sqliteJournalMigrations));
    old.exec(firstSchemaRows);
    old.close();
    const history = configSchema.parse({
      directory: { url: "file:directory.ldif" },
      history: { path: file },
    }).history;
    await openJournalWriter(history, capturingLogger().logger).close();
    const reader = openJournalReader(history);
    await expectMigratedRows(reader);
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it("has no first day where the exporter never wrote a journal (a bridge on another machine)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-journal-"));
  try {
    const reader = openJournalReader(
      configSchema.parse({
        directory: { url: "file:directory.ldif" },
        history: { path: path.join(dir, "none.sqlite") },
      }).history,
    );
    expect(await reader.firstDay()).toBeUndefined();
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.skipIf(!requirePostgres())("PostgreSQL", () => {
  let server: Postgres;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => server?.dispose());
  suite("PostgreSQL", () => server.createDatabase("journal"));

  it("keeps the runs and usage of a journal written by the first schema when it migrates it", async () => {
    const url = await server.createDatabase("journal_first_schema");
    const pool = createPool({ url, poolSize: 1 });
    await migratePostgres(pool, true, firstSchema(postgresJournalMigrations));
    await pool.query(
      firstSchemaRows
        .replaceAll(", 1, '2.6.1')", ", true, '2.6.1')")
        .replaceAll(", 0, NULL)", ", false, NULL)"),
    );
    await pool.end();
    const reader = openJournalReader(
      configSchema.parse({
        directory: { url: "file:directory.ldif" },
        history: { journal: { database: url } },
      }).history,
    );
    await expectMigratedRows(reader);
    await reader.close();
  }, 60_000);

  it("migrates at the first use after a failed attempt: a failure is not remembered", async () => {
    const url = await server.createDatabase("journal_retry");
    const history = configSchema.parse({
      directory: { url: "file:directory.ldif" },
      history: { journal: { database: url } },
    }).history;
    const reader = openJournalReader(history);
    await server.stop();
    try {
      await expect(reader.runs(uid, 0, 1)).rejects.toThrow();
    } finally {
      await server.start();
    }
    expect(await reader.runs(uid, 0, 1)).toEqual([]);
    await reader.close();
  }, 60_000);
});
