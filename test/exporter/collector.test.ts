import { gunzipSync } from "node:zlib";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { gzipParts } from "../../src/exporter/body.js";
import { Collector } from "../../src/exporter/collector.js";
import { createSelfMetrics } from "../../src/exporter/self-metrics.js";
import { parseExposition, seriesValue } from "./exposition.js";
import { account, FakeDirectory, FakeReader, host, settings } from "./fakes.js";

const now = new Date("2026-11-26T12:00:00Z");

const setUp = (concurrency = 4) => {
  const directory = new FakeDirectory();
  const reader = new FakeReader();
  const metrics = createSelfMetrics();
  const collector = new Collector({
    directory,
    reader,
    settings,
    metrics,
    logger: pino({ level: "silent" }),
    concurrency,
    now: () => now,
  });
  const scrape = async () => {
    const body = collector.snapshot?.body;
    const tail = await metrics.registry.metrics();
    const text = body ? gunzipSync(Buffer.concat(gzipParts(body, tail))).toString("utf8") : tail;
    return parseExposition(text);
  };
  return { directory, reader, metrics, collector, scrape };
};

describe("collector", () => {
  it("reports collector_up 0 and no account series before the first collection", async () => {
    const { collector, scrape } = setUp();
    const series = await scrape();
    expect(collector.snapshot).toBeUndefined();
    expect(seriesValue(series, "stoney_backup_collector_up")).toBe(0);
    expect(seriesValue(series, "stoney_backup_collector_errors_total", { stage: "account" })).toBe(0);
    expect(series.some((s) => s.name === "process_cpu_seconds_total")).toBe(true);
    expect(series.some((s) => s.name === "stoney_backup_account_info")).toBe(false);
  });

  it("exports active accounts once each, looks up every reseller once, and counts and skips a bad account", async () => {
    const { directory, reader, collector, scrape } = setUp();
    directory.accounts = [
      account("1", { resellerUids: ["r1"] }),
      account("2", { resellerUids: ["r2", "r1"] }),
      account("3", { active: false, resellerUids: ["r3"] }),
      account("4"),
      account("1", { resellerUids: ["r9"] }),
    ];
    directory.resellers.set("r1", {
      uid: "r1",
      dn: "uid=r1",
      mail: [],
      informPersonUids: [],
      personUids: [],
      settings: { quotaWarningPercent: 90 },
    });
    reader.states.set("1", {
      hosts: [host("pc", { status: "success" })],
      quota: {},
      neverUsed: false,
      errors: [],
    });
    reader.rejecting.add("4");
    expect(await collector.collect()).toBe(true);
    expect(directory.resellerRequests).toEqual([["r1", "r2"]]);
    expect(reader.prepared).toEqual([now]);
    const series = await scrape();
    expect(seriesValue(series, "stoney_backup_collector_up")).toBe(1);
    expect(seriesValue(series, "stoney_backup_collector_accounts")).toBe(2);
    expect(seriesValue(series, "stoney_backup_collector_hosts")).toBe(1);
    expect(seriesValue(series, "stoney_backup_collector_last_success_timestamp_seconds")).toBe(
      now.getTime() / 1000,
    );
    expect(seriesValue(series, "stoney_backup_collector_errors_total", { stage: "account" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_account_info", { account: "2", reseller: "r2,r1" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_quota_warning_ratio", { account: "2" })).toBe(0.9);
    expect(seriesValue(series, "stoney_backup_account_info", { account: "3" })).toBeUndefined();
    expect(seriesValue(series, "stoney_backup_account_info", { account: "4" })).toBeUndefined();
    expect(
      seriesValue(series, "stoney_backup_last_run_status", { account: "1", host: "pc", status: "success" }),
    ).toBe(1);
  });

  it("reads each page of accounts while the directory sends the next, each uid and reseller once", async () => {
    const { directory, reader, collector, scrape } = setUp();
    directory.pageSize = 2;
    directory.accounts = [
      account("1", { resellerUids: ["r1"] }),
      account("2", { resellerUids: ["r2"] }),
      account("3", { resellerUids: ["r1", "r3"] }),
      account("1", { resellerUids: ["r9"] }),
      account("5", { resellerUids: ["r2"] }),
    ];
    const startedAtPage: number[] = [];
    const pages = directory.eachAccountPage.bind(directory);
    directory.eachAccountPage = (onPage) =>
      pages(async (page) => {
        startedAtPage.push(reader.started);
        await onPage(page);
      });
    expect(await collector.collect()).toBe(true);
    expect(directory.resellerRequests).toEqual([["r1", "r2"], ["r3"]]);
    // Reading starts before the listing ends; the third page waits until the first one has been read.
    expect(startedAtPage).toHaveLength(3);
    expect(startedAtPage[0]).toBe(0);
    expect(startedAtPage[2]).toBeGreaterThanOrEqual(2);
    const series = await scrape();
    expect(seriesValue(series, "stoney_backup_collector_accounts")).toBe(4);
    expect(seriesValue(series, "stoney_backup_account_info", { account: "1", reseller: "r1" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_account_info", { account: "5", reseller: "r2" })).toBe(1);
  });

  it("counts an account the reader could only partly read, and still exports what it read", async () => {
    const { directory, reader, collector, scrape } = setUp();
    directory.accounts = [account("1")];
    reader.states.set("1", {
      hosts: [],
      quota: { quotaBytes: 5 },
      neverUsed: false,
      errors: ["timeout after 10000 ms"],
    });
    await collector.collect();
    const series = await scrape();
    expect(seriesValue(series, "stoney_backup_collector_errors_total", { stage: "account" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_quota_bytes", { account: "1" })).toBe(5);
  });

  it("drops the series of accounts and hosts that disappeared at the next collection", async () => {
    const { directory, reader, collector, scrape } = setUp();
    directory.accounts = [account("1"), account("2")];
    reader.states.set("1", { hosts: [host("a"), host("b")], quota: {}, neverUsed: false, errors: [] });
    await collector.collect();
    expect(seriesValue(await scrape(), "stoney_backup_missed_schedules", { account: "1", host: "b" })).toBe(
      0,
    );
    directory.accounts = [account("1")];
    reader.states.set("1", { hosts: [host("a")], quota: {}, neverUsed: false, errors: [] });
    await collector.collect();
    const series = await scrape();
    expect(series.filter((s) => s.labels.account === "2")).toEqual([]);
    expect(series.filter((s) => s.labels.host === "b")).toEqual([]);
    expect(seriesValue(series, "stoney_backup_missed_schedules", { account: "1", host: "a" })).toBe(0);
  });

  it("keeps serving the last good data with collector_up 0 when the directory fails", async () => {
    const { directory, collector, scrape } = setUp();
    directory.accounts = [account("1")];
    await collector.collect();
    directory.unreachable = true;
    expect(await collector.collect()).toBe(false);
    const series = await scrape();
    expect(seriesValue(series, "stoney_backup_collector_up")).toBe(0);
    expect(seriesValue(series, "stoney_backup_collector_errors_total", { stage: "directory" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_account_info", { account: "1", reseller: "" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_collector_last_success_timestamp_seconds")).toBe(
      now.getTime() / 1000,
    );
    directory.unreachable = false;
    expect(await collector.collect()).toBe(true);
    expect(seriesValue(await scrape(), "stoney_backup_collector_up")).toBe(1);
  });

  it("fails the collection, keeping the last data, when the backup reader cannot prepare", async () => {
    const { directory, reader, collector, scrape } = setUp();
    directory.accounts = [account("1")];
    await collector.collect();
    reader.prepareCollection = async () => {
      throw new Error("repquota: exit 1");
    };
    expect(await collector.collect()).toBe(false);
    const series = await scrape();
    expect(seriesValue(series, "stoney_backup_collector_errors_total", { stage: "backup" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_account_info", { account: "1", reseller: "" })).toBe(1);
  });

  it("runs one collection at a time and reads at most `concurrency` accounts in parallel", async () => {
    const { directory, reader, collector } = setUp(3);
    directory.accounts = Array.from({ length: 20 }, (_, i) => account(String(i)));
    const [first, second] = await Promise.all([collector.collect(), collector.collect()]);
    expect([first, second]).toEqual([true, true]);
    expect(directory.listCalls).toBe(1);
    expect(reader.maxInFlight).toBe(3);
    expect(collector.snapshot?.accounts).toBe(20);
  });

  it("keeps `concurrency` accounts in flight across page ends", async () => {
    const { directory, reader, collector } = setUp(3);
    directory.pageSize = 2;
    directory.accounts = Array.from({ length: 20 }, (_, i) => account(String(i)));
    expect(await collector.collect()).toBe(true);
    expect(reader.maxInFlight).toBe(3);
    expect(collector.snapshot?.accounts).toBe(20);
  });

  it("collects in the background every interval until stopped", async () => {
    const { directory, collector } = setUp();
    collector.start(0.05);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await collector.stop();
    const calls = directory.listCalls;
    expect(calls).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(directory.listCalls).toBe(calls);
  });

  it("stop aborts a collection in progress: no further account is read and the last good snapshot stays", async () => {
    const { directory, reader, collector } = setUp(4);
    directory.accounts = [account("1")];
    expect(await collector.collect()).toBe(true);
    const good = collector.snapshot;
    // 10,000 reads of 20 ms, four at a time: 50 s if it were not aborted.
    directory.accounts = Array.from({ length: 10_000 }, (_, i) => account(String(i)));
    reader.readMs = 20;
    reader.started = 0;
    const long = collector.collect();
    while (reader.started < 8) await new Promise((resolve) => setTimeout(resolve, 5));
    await collector.stop();
    expect(await long).toBe(false);
    expect(collector.snapshot).toBe(good);
    expect(reader.started).toBeLessThan(100);
    expect(reader.inFlight).toBe(0);
  });

  it("shares unchanged samples with the snapshot it replaces and counts ages to each collection", async () => {
    const directory = new FakeDirectory();
    const reader = new FakeReader();
    let clock = now;
    const collector = new Collector({
      directory,
      reader,
      settings,
      metrics: createSelfMetrics(),
      logger: pino({ level: "silent" }),
      concurrency: 2,
      now: () => clock,
    });
    directory.accounts = [account("1"), account("2")];
    const lastSuccess = new Date(now.getTime() - 3600_000);
    const state = (status: "success" | "failed") => ({
      hosts: [host("pc", { status: "success", lastSuccess }), host("laptop", { status })],
      quota: {},
      neverUsed: false,
      errors: [],
    });
    reader.states.set("1", state("success"));
    reader.states.set("2", state("success"));
    expect(await collector.collect()).toBe(true);
    const first = collector.snapshot?.samples;

    clock = new Date(now.getTime() + 60_000);
    reader.states.set("2", state("failed"));
    expect(await collector.collect()).toBe(true);
    const second = collector.snapshot?.samples;
    expect(second?.get("1")).toBe(first?.get("1"));
    expect(second?.get("2")).not.toBe(first?.get("2"));
    expect(second?.get("2")?.hosts[0]).toBe(first?.get("2")?.hosts[0]);
    expect(second?.get("2")?.hosts[1]).not.toBe(first?.get("2")?.hosts[1]);

    const body = collector.snapshot?.body;
    const series = parseExposition(
      body ? gunzipSync(Buffer.concat(gzipParts(body, ""))).toString("utf8") : "",
    );
    expect(seriesValue(series, "stoney_backup_last_success_age_seconds", { account: "1", host: "pc" })).toBe(
      3660,
    );
    expect(
      seriesValue(series, "stoney_backup_last_run_status", {
        account: "2",
        host: "laptop",
        status: "failed",
      }),
    ).toBe(1);

    // Only the account's own values changed: a new account sample, the hosts as they were.
    reader.states.set("1", { ...state("success"), quota: { quotaBytes: 1000, usedBytes: 10, ratio: 0.01 } });
    expect(await collector.collect()).toBe(true);
    const third = collector.snapshot?.samples;
    expect(third?.get("1")).not.toBe(second?.get("1"));
    expect(third?.get("1")?.usedBytes).toBe(10);
    expect(third?.get("1")?.hosts).toBe(second?.get("1")?.hosts);
  });
});
