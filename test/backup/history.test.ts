import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { type FinishedRun, HistoryStore, type HostHistory } from "../../src/backup/history.js";
import { capturingLogger, tempDir } from "./support.js";

const now = new Date("2026-11-26T12:00:00Z");
const run = (id: string, success: boolean, endedAt = "2026-11-25T18:47:45Z") => ({
  key: `${id}@${endedAt}`,
  success,
  endedAt: new Date(endedAt),
});

/** What a collection that sees only this host of the account records. */
const observe = (
  store: HistoryStore,
  account: string,
  host: string,
  seenRun: FinishedRun | undefined,
  at: Date,
  seedLastSuccess?: Date,
) => store.observeAccount(account, [{ host, run: seenRun, seedLastSuccess }], at).hosts[0] as HostHistory;
const everRan = (store: HistoryStore, account: string) => store.observeAccount(account, [], now).everRan;

describe("run history", () => {
  it("counts each run once however often it is read, and across restarts", () => {
    const file = path.join(tempDir(), "data/history.sqlite");
    const { logger, lines } = capturingLogger();
    let store = HistoryStore.open(file, logger);
    expect(lines().some((line) => line.msg === "history store does not exist yet; creating it")).toBe(true);
    for (let i = 0; i < 100; i += 1) observe(store, "3723703", "nas", run("1", false), now);
    expect(observe(store, "3723703", "nas", run("1", false), now)).toMatchObject({ consecutiveFailures: 1 });
    store.close();

    store = HistoryStore.open(file, logger);
    expect(observe(store, "3723703", "nas", run("1", false), now)).toMatchObject({
      consecutiveFailures: 1,
      lastRunKey: "1@2026-11-25T18:47:45Z",
    });
    expect(observe(store, "3723703", "nas", run("2", false), now).consecutiveFailures).toBe(2);
    store.close();

    store = HistoryStore.open(file, logger);
    for (let i = 0; i < 100; i += 1) observe(store, "3723703", "nas", run("2", false), now);
    expect(observe(store, "3723703", "nas", run("3", false), now).consecutiveFailures).toBe(3);
    store.close();
  });

  it("counts successful runs, once each, across restarts and in stores written before the count existed", () => {
    const file = path.join(tempDir(), "history.sqlite");
    const old = new Database(file);
    old.exec(`CREATE TABLE host_history (account TEXT NOT NULL, host TEXT NOT NULL, last_run_key TEXT,
      consecutive_failures INTEGER NOT NULL DEFAULT 0, last_success_ms INTEGER, first_seen_ms INTEGER NOT NULL,
      PRIMARY KEY (account, host)) WITHOUT ROWID`);
    old
      .prepare("INSERT INTO host_history VALUES ('3723701', 'pc', 'old@2026-11-25T18:47:45Z', 0, 1, 1)")
      .run();
    old.close();
    let store = HistoryStore.open(file, capturingLogger().logger);
    expect(observe(store, "3723701", "pc", run("old", true), now).successfulRuns).toBe(0);
    for (let i = 0; i < 3; i += 1) observe(store, "3723701", "pc", run("1", true), now);
    observe(store, "3723701", "pc", run("2", false), now);
    expect(observe(store, "3723701", "pc", run("3", true), now).successfulRuns).toBe(2);
    store.close();
    store = HistoryStore.open(file, capturingLogger().logger);
    expect(observe(store, "3723701", "pc", run("4", true), now).successfulRuns).toBe(3);
    store.close();
  });

  it("keeps the last success after a failed run overwrote backupEnded.xml", () => {
    const file = path.join(tempDir(), "history.sqlite");
    const { logger } = capturingLogger();
    let store = HistoryStore.open(file, logger);
    observe(store, "1", "pc", run("10", true, "2026-11-20T19:00:00Z"), now);
    store.close();
    store = HistoryStore.open(file, logger);
    const after = observe(store, "1", "pc", run("11", false, "2026-11-21T19:00:00Z"), now);
    expect(after).toMatchObject({ consecutiveFailures: 1, lastSuccess: new Date("2026-11-20T19:00:00Z") });
    expect(observe(store, "1", "pc", run("12", true, "2026-11-22T19:00:00Z"), now)).toMatchObject({
      consecutiveFailures: 0,
      lastSuccess: new Date("2026-11-22T19:00:00Z"),
    });
    store.close();
  });

  it("remembers when a host was first seen and seeds the last success from the directory once", () => {
    const { logger } = capturingLogger();
    const store = HistoryStore.open(":memory:", logger);
    const seed = new Date("2026-11-01T03:00:00Z");
    expect(observe(store, "1", "new", undefined, now, seed)).toEqual({
      consecutiveFailures: 0,
      successfulRuns: 0,
      firstSeen: now,
      lastSuccess: seed,
    });
    const later = new Date("2026-11-27T12:00:00Z");
    expect(observe(store, "1", "new", undefined, later, new Date("2026-11-27T00:00:00Z"))).toEqual({
      consecutiveFailures: 0,
      successfulRuns: 0,
      firstSeen: now,
      lastSuccess: seed,
    });
    expect(everRan(store, "1")).toBe(true);
    observe(store, "2", "idle", undefined, now);
    expect(everRan(store, "2")).toBe(false);
    store.close();
  });

  it("observes the hosts of an account together, written or not, and tells whether a gone host ever ran", () => {
    const file = path.join(tempDir(), "history.sqlite");
    const { logger } = capturingLogger();
    let store = HistoryStore.open(file, logger);
    observe(store, "1", "old", run("1", true), now);
    store.flush();
    const seen = [
      { host: "pc", run: undefined },
      { host: "laptop", run: run("2", false) },
    ];
    const first = store.observeAccount("1", seen, now);
    expect(first.hosts.map((h) => [h.consecutiveFailures, h.firstSeen])).toEqual([
      [0, now],
      [1, now],
    ]);
    expect(first.everRan).toBe(true);
    const later = new Date("2026-11-26T13:00:00Z");
    expect(store.observeAccount("1", seen, later).hosts[1]?.consecutiveFailures).toBe(1);
    expect(store.observeAccount("2", [{ host: "idle", run: undefined }], now).everRan).toBe(false);
    store.close();
    store = HistoryStore.open(file, logger);
    const reopened = store.observeAccount("1", [{ host: "laptop", run: run("2", false) }], later);
    expect(reopened.hosts).toEqual([
      { consecutiveFailures: 1, successfulRuns: 0, firstSeen: now, lastRunKey: run("2", false).key },
    ]);
    store.close();
  });

  it("rebuilds a corrupt store with a clear log line and keeps the broken file aside", () => {
    const dir = tempDir();
    const file = path.join(dir, "history.sqlite");
    writeFileSync(file, "this is not a database, it is garbage ".repeat(200));
    const { logger, lines } = capturingLogger();
    const store = HistoryStore.open(file, logger);
    const line = lines().find((l) => l.level === 50);
    expect(line?.msg).toMatch(/history store is corrupt or unreadable: moved aside and rebuilt empty/);
    expect(line?.path).toBe(file);
    expect(existsSync(line?.movedTo as string)).toBe(true);
    expect(observe(store, "1", "pc", run("1", false), now).consecutiveFailures).toBe(1);
    store.close();
    expect(readdirSync(dir).filter((name) => name.includes(".corrupt-"))).toHaveLength(1);
    const reopened = new Database(file, { readonly: true });
    expect(reopened.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(reopened.prepare("SELECT consecutive_failures FROM host_history").pluck().all()).toEqual([1]);
    reopened.close();
  });

  it("writes a batch of changes in one transaction when asked to flush", () => {
    const file = path.join(tempDir(), "history.sqlite");
    const { logger } = capturingLogger();
    const store = HistoryStore.open(file, logger);
    for (let i = 0; i < 2500; i += 1) observe(store, String(i), "pc", run(String(i), i % 2 === 0), now);
    store.flush();
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare("SELECT count(*) FROM host_history").pluck().get()).toBe(2500);
    reader.close();
    store.close();
  });

  it("writes changes shortly after they happen, and nothing when nothing changed", async () => {
    const file = path.join(tempDir(), "history.sqlite");
    const store = HistoryStore.open(file, capturingLogger().logger);
    observe(store, "1", "pc", run("1", false), now);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const other = new Database(file);
    expect(other.prepare("SELECT consecutive_failures FROM host_history").pluck().get()).toBe(1);
    // data_version changes for this connection whenever another connection commits a write.
    const version = () => other.pragma("data_version", { simple: true });
    const before = version();
    for (let i = 0; i < 100; i += 1) observe(store, "1", "pc", run("1", false), now);
    store.flush();
    expect(version()).toBe(before);
    observe(store, "1", "pc", run("2", false), now);
    store.flush();
    expect(version()).not.toBe(before);
    expect(other.prepare("SELECT consecutive_failures FROM host_history").pluck().get()).toBe(2);
    other.close();
    store.close();
  });
});
