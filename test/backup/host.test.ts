import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hostState, observeHost, ParsedFileCache, runStatus } from "../../src/backup/host.js";
import { compareVersions, isClientOutdated } from "../../src/backup/index.js";
import { fail } from "../../src/backup/result.js";
import type { FileReading, HostFolder } from "../../src/backup/tree.js";
import { NOW } from "./support.js";

const rules = {
  clockSkewToleranceSeconds: 6 * 3600,
  maxRunSeconds: 24 * 3600,
  graceSeconds: 3600,
  missedCap: 1000,
  minimumClientVersions: { "Sepiola Online Backup Client": "2.6.0" },
};

const client = (version: string) =>
  `<client><identifier>Sepiola Online Backup Client</identifier><version>${version}</version><operatingsystem>Linux</operatingsystem></client>`;
const file = (text: string, mtime: string): FileReading => ({
  kind: "read",
  file: { text, mtime: new Date(mtime) },
  stamp: stampOf(`${text.length}:${mtime}`),
});
/** A stamp of the tree's shape (four code units) for a test file. */
function stampOf(seed: string): string {
  const digest = createHash("sha256").update(seed).digest();
  return String.fromCharCode(...[0, 2, 4, 6].map((at) => digest.readUInt16BE(at)));
}
const missing: FileReading = { kind: "missing" };

describe("client versions", () => {
  it("compares dotted versions numerically", () => {
    expect(compareVersions("2.10.0", "2.6.1")).toBe(1);
    expect(compareVersions("2.6.1", "2.10.0")).toBe(-1);
    expect(compareVersions("2.6", "2.6.0")).toBe(0);
    expect(compareVersions("1.3", "1.3.1")).toBe(-1);
    expect(compareVersions("2.6.1-beta", "2.6.1")).toBe(0);
  });

  it("flags clients below the configured minimum of their identifier only", () => {
    const minimum = { "Sepiola Online Backup Client": "2.6.0", "Online Backup Perl Script": "1.3" };
    const sepiola = (version: string) => ({ identifier: "Sepiola Online Backup Client", version });
    expect(isClientOutdated(sepiola("2.4.0"), minimum)).toBe(true);
    expect(isClientOutdated(sepiola("2.6.0"), minimum)).toBe(false);
    expect(isClientOutdated(sepiola("2.10.0"), minimum)).toBe(false);
    expect(isClientOutdated({ identifier: "Online Backup Perl Script", version: "1.2.9" }, minimum)).toBe(
      true,
    );
    expect(isClientOutdated({ identifier: "Other Client", version: "0.1" }, minimum)).toBe(false);
    expect(isClientOutdated(sepiola("unknown"), minimum)).toBe(false);
    expect(isClientOutdated(undefined, minimum)).toBe(false);
    expect(isClientOutdated({ identifier: "constructor", version: "0" }, minimum)).toBe(false);
  });
});

describe("run status", () => {
  const at = (iso: string) => new Date(iso);
  it("keeps success, failed, running, interrupted and never apart", () => {
    const start = { at: at("2026-11-26T10:00:00Z"), id: "2" };
    expect(runStatus(undefined, undefined, NOW, 86400)).toBe("never");
    expect(runStatus(start, { at: at("2026-11-26T10:30:00Z"), id: "2", success: true }, NOW, 86400)).toBe(
      "success",
    );
    expect(runStatus(start, { at: at("2026-11-26T10:30:00Z"), id: "2", success: false }, NOW, 86400)).toBe(
      "failed",
    );
    expect(runStatus(start, { at: at("2026-11-25T10:30:00Z"), id: "1", success: true }, NOW, 86400)).toBe(
      "running",
    );
    expect(runStatus(start, undefined, NOW, 3600)).toBe("interrupted");
    expect(runStatus(undefined, { at: at("2026-11-25T10:30:00Z"), id: "1", success: true }, NOW, 86400)).toBe(
      "success",
    );
    // Same id: the end belongs to this start even if a clock correction moved it before the start.
    expect(runStatus(start, { at: at("2026-11-26T09:00:00Z"), id: "2", success: true }, NOW, 86400)).toBe(
      "success",
    );
  });
});

describe("host observation", () => {
  const started = (id: string, date: string, version: string) =>
    `<backup_started><startdate>${date}</startdate><id>${id}</id>${client(version)}</backup_started>`;
  const ended = (id: string, date: string, version: string) =>
    `<backup_ended><enddate>${date}</enddate><id>${id}</id><success>1</success>${client(version)}</backup_ended>`;

  it("takes the client from the newest file and collects each file's error", () => {
    const folder: HostFolder = {
      host: "pc",
      files: {
        started: file(started("2", "2026-11-26T10:00:00+01:00", "2.6.1"), "2026-11-26T09:00:05Z"),
        ended: file(ended("1", "2026-11-25T10:00:00+01:00", "2.4.0"), "2026-11-25T09:00:05Z"),
        scheduler: file("<wrong/>", "2026-11-20T00:00:00Z"),
      },
    };
    const observation = observeHost(folder, NOW, rules);
    expect(observation.client?.version).toBe("2.6.1");
    expect(observation.errors).toEqual([
      "scheduler.xml: expected root element <online_backup_schedule>, found <wrong>",
    ]);
    expect(observation.finishedRun).toEqual({
      key: "1@2026-11-25T10:00:00+01:00",
      success: true,
      endedAt: new Date("2026-11-25T09:00:00Z"),
    });
  });

  it("flags the host's clock when a file is dated after it arrived", () => {
    const folder: HostFolder = {
      host: "pc",
      files: {
        started: missing,
        ended: file(ended("1", "2026-11-26T20:00:00+01:00", "2.6.1"), "2026-11-26T09:00:00Z"),
        scheduler: missing,
      },
    };
    const observation = observeHost(folder, NOW, rules);
    expect(observation.clockSkewed).toBe(true);
    expect(observation.lastEnd?.at).toEqual(new Date("2026-11-26T09:00:00Z"));
  });
});

describe("parse cache", () => {
  const ended = `<backup_ended><enddate>2026-11-25T10:00:00+01:00</enddate><id>7</id><success>0</success></backup_ended>`;
  it("reuses the parse result of an unchanged file and drops hosts that are gone", () => {
    const cache = new ParsedFileCache();
    const read: HostFolder = {
      host: "pc",
      files: { started: missing, ended: file(ended, "2026-11-25T09:00:05Z"), scheduler: missing },
    };
    const first = observeHost(read, NOW, rules, { account: "1", cache });
    const stamp = stampOf(`${ended.length}:2026-11-25T09:00:05Z`);
    expect(cache.knows("1", "pc", "ended", stamp)).toBe(true);
    const unchanged: HostFolder = {
      host: "pc",
      files: {
        started: missing,
        ended: { kind: "unchanged", mtime: new Date("2026-11-25T09:00:05Z"), stamp },
        scheduler: missing,
      },
    };
    expect(observeHost(unchanged, NOW, rules, { account: "1", cache })).toEqual(first);
    expect(observeHost(unchanged, NOW, rules, { account: "2", cache }).errors).toEqual([
      "backupEnded.xml changed while being read; it is read again at the next collection",
    ]);
    cache.nextCollection();
    expect(cache.size).toBe(1);
    cache.nextCollection();
    expect(cache.size).toBe(0);
  });

  it("keeps each file's values and rejections apart, also in a slot that a gone host left", () => {
    const cache = new ParsedFileCache();
    const started = `<backup_started><startdate>2026-11-25T09:00:00+01:00</startdate><id>8</id>${client("2.6.1")}</backup_started>`;
    const gone: HostFolder = {
      host: "old",
      files: {
        started: file(started, "2026-11-25T08:00:05Z"),
        ended: file(ended, "2026-11-25T09:00:05Z"),
        scheduler: missing,
      },
    };
    observeHost(gone, NOW, rules, { account: "1", cache });
    cache.nextCollection();
    cache.nextCollection();
    const folder: HostFolder = {
      host: "new",
      files: {
        started: file(started, "2026-11-25T08:00:05Z"),
        ended: missing,
        scheduler: file("<scheduler>", "2026-11-25T07:00:05Z"),
      },
    };
    const first = observeHost(folder, NOW, rules, { account: "1", cache });
    expect(cache.size).toBe(1);
    expect(cache.holds("1", "new", "ended")).toBe(false);
    expect(cache.holds("1", "old", "started")).toBe(false);
    const unchanged = (reading: FileReading): FileReading =>
      reading.kind === "read"
        ? { kind: "unchanged", mtime: reading.file.mtime, stamp: reading.stamp }
        : reading;
    const again = observeHost(
      {
        host: "new",
        files: {
          started: unchanged(folder.files.started),
          ended: missing,
          scheduler: unchanged(folder.files.scheduler),
        },
      },
      NOW,
      rules,
      { account: "1", cache },
    );
    expect(again).toEqual(first);
    expect(again.lastStart).toEqual({ at: new Date("2026-11-25T08:00:00Z"), id: "8" });
    expect(again.client?.version).toBe("2.6.1");
    expect(again.errors).toEqual([expect.stringMatching(/^scheduler\.xml: not well-formed XML/)]);
  });

  it("recalls a host's files by its folder stamp, and only files it holds with their stamps", () => {
    const cache = new ParsedFileCache();
    const folder: HostFolder = {
      host: "pc",
      files: { started: missing, ended: file(ended, "2026-11-25T09:00:05Z"), scheduler: missing },
      folderStamp: stampOf("folder 1"),
    };
    observeHost(folder, NOW, rules, { account: "1", cache });
    cache.rememberFolder("1", folder);
    const ended1 = folder.files.ended.kind === "read" ? folder.files.ended.stamp : "";
    expect(cache.recallFor("1").host("pc", stampOf("folder 1"))).toEqual({
      started: missing,
      ended: { kind: "unchanged", mtime: new Date("2026-11-25T09:00:05Z"), stamp: ended1 },
      scheduler: missing,
    });
    expect(cache.recallFor("1").host("pc", stampOf("folder 2"))).toBeUndefined();
    cache.rememberFolder("1", {
      ...folder,
      files: {
        ...folder.files,
        scheduler: { kind: "error", error: "scheduler.xml cannot be read (EACCES)" },
      },
      folderStamp: stampOf("folder 2"),
    });
    expect(cache.recallFor("1").host("pc", stampOf("folder 1"))).toBeUndefined();
    cache.nextCollection(false);
    cache.rememberFolder("1", folder);
    expect(cache.recallFor("1").host("pc", stampOf("folder 1"))).toBeUndefined();
  });

  it("refuses a stamp that is not of the tree's shape", () => {
    const cache = new ParsedFileCache();
    expect(() => cache.knows("1", "pc", "ended", "12:34")).toThrow(/four code units/);
    expect(() => cache.set("1", "pc", "ended", "12:34", new Date(), fail("unread"))).toThrow(
      /four code units/,
    );
  });
});

describe("host state", () => {
  const daily = {
    type: "custom" as const,
    minute: 0,
    hour: 20,
    weekdays: [1, 2, 3, 4, 5, 6, 7],
    utcOffsetMinutes: 60,
  };
  const history = { consecutiveFailures: 0, successfulRuns: 0, firstSeen: new Date("2026-11-01T00:00:00Z") };

  it("counts missed runs from the newer of the last start and an end of another run", () => {
    const state = hostState(
      {
        host: "pc",
        lastStart: { at: new Date("2026-11-20T19:00:00Z"), id: "1" },
        lastEnd: { at: new Date("2026-11-24T19:30:00Z"), id: "2", success: true },
        schedule: daily,
        clockSkewed: false,
        errors: [],
      },
      history,
      NOW,
      rules,
    );
    expect(state).toMatchObject({
      status: "success",
      missedSchedules: 1,
      nextSchedule: new Date("2026-11-26T19:00:00Z"),
    });
  });

  it("counts a host that never ran from when it was first seen, and falls back to the directory's last success", () => {
    const state = hostState(
      { host: "pc", schedule: daily, clockSkewed: false, errors: [] },
      history,
      NOW,
      rules,
      new Date("2026-10-01T00:00:00Z"),
    );
    expect(state).toMatchObject({
      status: "never",
      missedSchedules: 25,
      lastSuccess: new Date("2026-10-01T00:00:00Z"),
    });
  });
});
