import { describe, expect, it } from "vitest";
import type { AccountStatus, CollectionStatus } from "../../src/exporter/index.js";
import { configuredExporters, localExporterUrl, mergeStates } from "../../src/exporter/index.js";
import { serversStatusSource } from "../../src/exporter/servers.js";

const account = (uid: string, lastSuccess: string): AccountStatus => ({
  uid,
  resellers: [],
  neverUsed: false,
  quota: { warningRatio: 0.9 },
  settings: {
    warnings: { value: true },
    quotaWarningPercent: { value: 90 },
    missedBackupsThreshold: { value: 1 },
    missedDaysThreshold: { value: 0 },
    failuresThreshold: { value: 1 },
    quotaFullDays: { value: 0 },
  },
  hosts: [
    {
      host: "PC",
      status: "success",
      running: false,
      lastSuccess,
      missedRuns: 0,
      consecutiveFailures: 0,
      successfulRuns: 1,
      clientOutdated: false,
      clockSkewed: false,
      metadataErrors: 0,
    },
  ],
});

const state = (collectedAt: string, ...accounts: AccountStatus[]): CollectionStatus => ({
  collectedAt,
  accounts,
});

describe("merging the states of several backup servers", () => {
  it("takes every account from the server that holds it, named, in uid order", () => {
    const merged = mergeStates([
      {
        name: "backup-01",
        answered: true,
        state: state("2026-12-06T08:00:00Z", account("b", "2026-12-05T00:00:00Z")),
      },
      {
        name: "backup-02",
        answered: true,
        state: state("2026-12-06T08:01:00Z", account("a", "2026-12-05T01:00:00Z")),
      },
    ]);
    expect([...merged.accounts.keys()]).toEqual(["a", "b"]);
    expect(merged.accounts.get("a")?.server).toBe("backup-02");
    expect(merged.accounts.get("b")?.server).toBe("backup-01");
    expect(merged.accounts.get("a")?.stale).toBeUndefined();
    expect(merged.servers).toEqual([
      { name: "backup-01", collectedAt: new Date("2026-12-06T08:00:00Z"), stale: false },
      { name: "backup-02", collectedAt: new Date("2026-12-06T08:01:00Z"), stale: false },
    ]);
  });

  it("takes an account held by two servers from the freshest collection, the first listed on a tie", () => {
    const older = state("2026-12-06T08:00:00Z", account("a", "2026-12-01T00:00:00Z"));
    const newer = state("2026-12-06T08:05:00Z", account("a", "2026-12-06T07:00:00Z"));
    const fresher = mergeStates([
      { name: "backup-01", answered: true, state: older },
      { name: "backup-02", answered: true, state: newer },
    ]);
    expect(fresher.accounts.get("a")?.server).toBe("backup-02");
    expect(fresher.accounts.get("a")?.hosts[0]?.lastSuccess).toBe("2026-12-06T07:00:00Z");
    const reversed = mergeStates([
      { name: "backup-02", answered: true, state: newer },
      { name: "backup-01", answered: true, state: older },
    ]);
    expect(reversed.accounts.get("a")?.server).toBe("backup-02");
    const tie = mergeStates([
      {
        name: "backup-01",
        answered: true,
        state: state("2026-12-06T08:00:00Z", account("a", "2026-12-01T00:00:00Z")),
      },
      {
        name: "backup-02",
        answered: true,
        state: state("2026-12-06T08:00:00Z", account("a", "2026-12-02T00:00:00Z")),
      },
    ]);
    expect(tie.accounts.get("a")?.server).toBe("backup-01");
  });

  it("marks the accounts and the server that did not answer as stale, and a server never read as without data", () => {
    const merged = mergeStates([
      {
        name: "backup-01",
        answered: true,
        state: state("2026-12-06T08:00:00Z", account("a", "2026-12-05T00:00:00Z")),
      },
      {
        name: "backup-02",
        answered: false,
        state: state("2026-12-06T07:40:00Z", account("b", "2026-12-05T00:00:00Z")),
      },
      { name: "backup-03", answered: false },
    ]);
    expect(merged.accounts.get("b")?.stale).toBe(true);
    expect(merged.accounts.get("b")?.server).toBe("backup-02");
    expect(merged.accounts.get("a")?.stale).toBeUndefined();
    expect(merged.servers).toEqual([
      { name: "backup-01", collectedAt: new Date("2026-12-06T08:00:00Z"), stale: false },
      { name: "backup-02", collectedAt: new Date("2026-12-06T07:40:00Z"), stale: true },
      { name: "backup-03", stale: true },
    ]);
  });

  it("prefers a stale server's account when its last collection is still the freshest", () => {
    const merged = mergeStates([
      {
        name: "backup-01",
        answered: true,
        state: state("2026-12-06T08:00:00Z", account("a", "2026-12-01T00:00:00Z")),
      },
      {
        name: "backup-02",
        answered: false,
        state: state("2026-12-06T08:10:00Z", account("a", "2026-12-06T08:00:00Z")),
      },
    ]);
    expect(merged.accounts.get("a")).toMatchObject({ server: "backup-02", stale: true });
  });
});

describe("the configured backup servers", () => {
  it("are the exporters list, else the one exporterUrl named after its host", () => {
    const exporters = [{ name: "backup-01", url: "http://10.0.0.1:9851" }];
    expect(configuredExporters({ exporters, exporterUrl: "http://ignored:9851" })).toEqual(exporters);
    expect(configuredExporters({ exporterUrl: "http://backup-02.example.net:9851/" })).toEqual([
      { name: "backup-02.example.net", url: "http://backup-02.example.net:9851/" },
    ]);
    expect(configuredExporters({})).toEqual([]);
  });
});

describe("reading several exporters", () => {
  it("keeps the last state of an exporter that stops answering, marked stale, and never fails as a whole", async () => {
    let down = false;
    const failures: string[] = [];
    const source = serversStatusSource(
      [
        { name: "backup-01", url: "http://one" },
        { name: "backup-02", url: "http://two" },
      ],
      async (exporter) => {
        if (exporter.name === "backup-02" && down) throw new Error("connection refused");
        return exporter.name === "backup-01"
          ? state("2026-12-06T08:00:00Z", account("a", "2026-12-05T00:00:00Z"))
          : state("2026-12-06T07:50:00Z", account("b", "2026-12-05T00:00:00Z"));
      },
      (exporter) => failures.push(exporter.name),
      0,
    );
    expect((await source.all()).map((a) => [a.uid, a.server, a.stale])).toEqual([
      ["a", "backup-01", undefined],
      ["b", "backup-02", undefined],
    ]);
    down = true;
    expect((await source.accounts(["b"])).get("b")).toMatchObject({ server: "backup-02", stale: true });
    expect((await source.servers()).map((s) => [s.name, s.stale])).toEqual([
      ["backup-01", false],
      ["backup-02", true],
    ]);
    expect((await source.collectedAt())?.toISOString()).toBe("2026-12-06T07:50:00.000Z");
    expect(failures).toEqual(["backup-02", "backup-02", "backup-02"]);
  });

  it("reaches this configuration's own exporter on the loopback when it listens on every address, and names it", () => {
    expect(localExporterUrl({ host: "0.0.0.0", port: 9100 })).toBe("http://127.0.0.1:9100");
    expect(localExporterUrl({ host: "::", port: 9100 })).toBe("http://127.0.0.1:9100");
    expect(localExporterUrl({ host: "::1", port: 9100 })).toBe("http://[::1]:9100");
    expect(localExporterUrl({ host: "backup-01.example", port: 9100 })).toBe("http://backup-01.example:9100");
    expect(configuredExporters({ exporterUrl: localExporterUrl({ host: "::", port: 9100 }) })).toEqual([
      { name: "127.0.0.1", url: "http://127.0.0.1:9100" },
    ]);
  });
});
