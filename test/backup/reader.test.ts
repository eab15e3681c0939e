import { cpSync, mkdirSync, renameSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type BackupReader, createBackupReader, type HostState } from "../../src/backup/index.js";
import { type Config, configSchema } from "../../src/config/index.js";
import type { Account } from "../../src/directory/model.js";
import { account, capturingLogger, exampleBackupRoot, NOW, tempDir } from "./support.js";

function testConfig(root: string, backup: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    directory: { url: "file:directory.ldif" },
    backup: { root, ...backup },
    history: { path: path.join(tempDir(), "history.sqlite") },
  });
}

const readers: BackupReader[] = [];
afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.close();
});
const open = (config: Config) => {
  const reader = createBackupReader(config, capturingLogger().logger);
  readers.push(reader);
  return reader;
};

const old = new Date("2025-06-01T00:00:00Z");
/** The example accounts of common.md, as far as the backup reader needs them. */
const examples: Record<string, Account> = {
  "3723701": account("3723701", { createdAt: old }),
  "3723702": account("3723702", {
    createdAt: old,
    quotaBytes: 10737418240,
    backupSizeBytes: 9448928051,
    incrementSizeBytes: 966367642,
  }),
  "3723703": account("3723703", { createdAt: old }),
  "3723704": account("3723704", { createdAt: old }),
  "3723705": account("3723705", { createdAt: old }),
  "3723706": account("3723706", { createdAt: new Date("2026-10-01T12:00:00Z") }),
  "3723707": account("3723707", { createdAt: old }),
  "3723709": account("3723709", { createdAt: old }),
  "3723710": account("3723710", { createdAt: old }),
};

const only = (hosts: HostState[]) => {
  expect(hosts).toHaveLength(1);
  return hosts[0] as HostState;
};

describe("readAccount on the example tree (now = 2026-11-26T12:00:00Z, fresh checkout mtimes)", () => {
  const reader = () => open(testConfig(exampleBackupRoot));
  const read = async (uid: string) => reader().readAccount(examples[uid] as Account, NOW);

  it("3723701: healthy Sepiola host on Mon/Wed/Fri 19:30 +01:00", async () => {
    const state = await read("3723701");
    expect(state.errors).toEqual([]);
    expect(state.neverUsed).toBe(false);
    expect(only(state.hosts)).toEqual({
      host: "EMPFANG-PC",
      client: { identifier: "Sepiola Online Backup Client", version: "2.6.1", operatingSystem: "Windows" },
      lastStart: { at: new Date("2026-11-25T18:30:02Z"), id: "7719417" },
      lastEnd: { at: new Date("2026-11-25T18:47:45Z"), id: "7719417", success: true },
      status: "success",
      lastSuccess: new Date("2026-11-25T18:47:45Z"),
      consecutiveFailures: 0,
      successfulRuns: 1,
      schedule: { type: "custom", minute: 30, hour: 19, weekdays: [1, 3, 5], utcOffsetMinutes: 60 },
      missedSchedules: 0,
      nextSchedule: new Date("2026-11-27T18:30:00Z"),
      clientOutdated: false,
      clockSkewed: false,
      errors: [],
    });
  });

  it("3723702: over quota by the directory's sizes, otherwise healthy (Perl daily 02:15)", async () => {
    const state = await read("3723702");
    expect(state.quota.quotaBytes).toBe(10737418240);
    expect(state.quota.usedBytes).toBe(9448928051 + 966367642);
    expect(state.quota.ratio).toBeCloseTo(0.97, 2);
    expect(only(state.hosts)).toMatchObject({
      host: "fileserver",
      status: "success",
      client: { identifier: "Online Backup Perl Script", version: "1.3" },
      missedSchedules: 0,
      nextSchedule: new Date("2026-11-27T01:15:00Z"),
      clientOutdated: false,
    });
  });

  it("3723703: failing Perl host, dates written with the midnight offset -23:00", async () => {
    const host = only((await read("3723703")).hosts);
    expect(host).toMatchObject({
      status: "failed",
      consecutiveFailures: 1,
      lastEnd: { at: new Date("2026-11-25T23:52:40Z"), success: false },
      missedSchedules: 0,
      nextSchedule: new Date("2026-11-26T23:30:00Z"),
      clockSkewed: false,
      errors: [],
    });
    expect(host.lastSuccess).toBeUndefined();
  });

  it("3723704: missed every daily 20:00 since 2026-11-20", async () => {
    expect(only((await read("3723704")).hosts)).toMatchObject({
      status: "success",
      lastSuccess: new Date("2026-11-20T19:12:10Z"),
      missedSchedules: 5,
      nextSchedule: new Date("2026-11-26T19:00:00Z"),
    });
  });

  it("3723705: old client with a schedule after startup", async () => {
    const host = only((await read("3723705")).hosts);
    expect(host).toMatchObject({
      status: "success",
      client: { version: "2.4.0", operatingSystem: "MacOSX" },
      clientOutdated: true,
      schedule: { type: "after_startup", minutesAfterStartup: 15 },
      missedSchedules: 0,
    });
    expect(host.nextSchedule).toBeUndefined();
  });

  it("3723706: never used (no incoming folder, created 2026-10-01)", async () => {
    expect(await read("3723706")).toMatchObject({ hosts: [], neverUsed: true, errors: [] });
  });

  it("3723707: two hosts, one done and one running", async () => {
    const state = await read("3723707");
    const byName = new Map(state.hosts.map((h) => [h.host, h]));
    expect([...byName.keys()].sort()).toEqual(["büro-pc", "laptop"]);
    expect(byName.get("laptop")).toMatchObject({
      status: "success",
      lastEnd: { at: new Date("2026-11-25T18:21:33Z") },
      schedule: { utcOffsetMinutes: 0 },
      missedSchedules: 0,
      nextSchedule: new Date("2026-11-26T18:00:00Z"),
    });
    const running = byName.get("büro-pc");
    expect(running).toMatchObject({
      status: "running",
      lastStart: { at: new Date("2026-11-26T10:00:04Z") },
      missedSchedules: 0,
    });
    expect(running?.lastEnd).toBeUndefined();
  });

  it("3723709: no schedule, last success 2026-11-24", async () => {
    const host = only((await read("3723709")).hosts);
    expect(host).toMatchObject({ status: "success", schedule: { type: "none" }, missedSchedules: 0 });
    expect(host.lastSuccess).toEqual(new Date("2026-11-24T15:40:58Z"));
  });

  it("3723710: dates in 2027 are flagged as a skewed clock and replaced by the server's time", async () => {
    const host = only((await read("3723710")).hosts);
    expect(host).toMatchObject({ status: "success", clockSkewed: true, consecutiveFailures: 0 });
    expect(host.lastEnd?.at.getTime()).toBeLessThanOrEqual(NOW.getTime());
  });

  it("flags no other example host as skewed, none as never used, and reports no errors", async () => {
    const r = reader();
    for (const uid of Object.keys(examples).filter((uid) => uid !== "3723710")) {
      const state = await r.readAccount(examples[uid] as Account, NOW);
      expect(state.errors, uid).toEqual([]);
      expect(state.neverUsed, uid).toBe(uid === "3723706");
      for (const host of state.hosts) expect([uid, host.clockSkewed, host.errors]).toEqual([uid, false, []]);
    }
  });
});

describe("history through the reader", () => {
  it("counts a run once across 100 reads and a restart, and the next failure on top", async () => {
    const root = tempDir();
    cpSync(path.join(exampleBackupRoot, "3723703"), path.join(root, "3723703"), { recursive: true });
    const config = testConfig(root);
    const owner = examples["3723703"] as Account;
    let reader = open(config);
    for (let i = 0; i < 100; i += 1) await reader.readAccount(owner, NOW);
    expect(only((await reader.readAccount(owner, NOW)).hosts).consecutiveFailures).toBe(1);
    await reader.close();
    readers.splice(readers.indexOf(reader), 1);

    reader = open(config);
    expect(only((await reader.readAccount(owner, NOW)).hosts).consecutiveFailures).toBe(1);
    const metadata = path.join(root, "3723703/incoming/nas/.sepiola_backup");
    const endedFile = path.join(metadata, "backupEnded.xml");
    // Each file arrives (mtime) right after the run it describes, renamed into place as rsync does.
    const upload = (id: string, date: string, success: string) => {
      const partial = path.join(metadata, ".backupEnded.xml.partial");
      writeFileSync(partial, endedXml(id, date, success));
      const arrived = new Date(new Date(date).getTime() + 60_000);
      utimesSync(partial, arrived, arrived);
      renameSync(partial, endedFile);
    };
    upload("538120999", "2026-11-27T00:50:00+01:00", "0");
    const later = new Date("2026-11-27T12:00:00Z");
    expect(only((await reader.readAccount(owner, later)).hosts).consecutiveFailures).toBe(2);
    upload("538121111", "2026-11-28T00:50:00+01:00", "1");
    const recovered = only((await reader.readAccount(owner, new Date("2026-11-28T12:00:00Z"))).hosts);
    expect(recovered).toMatchObject({
      consecutiveFailures: 0,
      lastSuccess: new Date("2026-11-27T23:50:00Z"),
    });
    upload("538121222", "2026-11-29T00:50:00+01:00", "0");
    const failedAgain = only((await reader.readAccount(owner, new Date("2026-11-29T12:00:00Z"))).hosts);
    expect(failedAgain).toMatchObject({
      status: "failed",
      consecutiveFailures: 1,
      lastSuccess: new Date("2026-11-27T23:50:00Z"),
    });
  });

  it("looks into unchanged folders only at every recheckEveryCollections-th collection, for files rewritten in place", async () => {
    const root = tempDir();
    cpSync(path.join(exampleBackupRoot, "3723703"), path.join(root, "3723703"), { recursive: true });
    const owner = examples["3723703"] as Account;
    const reader = open(testConfig(root, { recheckEveryCollections: 3 }));
    const collect = async () => {
      await reader.prepareCollection(NOW);
      return only((await reader.readAccount(owner, NOW)).hosts);
    };
    expect((await collect()).lastEnd?.id).not.toBe("538120999");
    const endedFile = path.join(root, "3723703/incoming/nas/.sepiola_backup/backupEnded.xml");
    writeFileSync(endedFile, endedXml("538120999", "2026-11-26T00:50:00+01:00", "1"));
    // The folder's mtime is what it was: the next collections recall the files as they were.
    expect((await collect()).lastEnd?.id).not.toBe("538120999");
    expect((await collect()).lastEnd?.id).not.toBe("538120999");
    expect((await collect()).lastEnd?.id).toBe("538120999");
  });

  it("seeds the last success from the directory when there is no local history", async () => {
    const root = tempDir();
    cpSync(path.join(exampleBackupRoot, "3723703"), path.join(root, "3723703"), { recursive: true });
    const seeded = account("3723703", {
      lastSuccessfulBackup: new Map([["nas", new Date("2026-11-20T01:00:00Z")]]),
    });
    const host = only((await open(testConfig(root)).readAccount(seeded, NOW)).hosts);
    expect(host).toMatchObject({ status: "failed", lastSuccess: new Date("2026-11-20T01:00:00Z") });
  });

  it("counts missed runs of a host that never ran from when it was first seen", async () => {
    const root = tempDir();
    const metadata = path.join(root, "1/incoming/new-pc/.sepiola_backup");
    mkdirSync(metadata, { recursive: true });
    cpSync(
      path.join(exampleBackupRoot, "3723704/incoming/MacBook-Zoe/.sepiola_backup/scheduler.xml"),
      path.join(metadata, "scheduler.xml"),
    );
    const reader = open(testConfig(root));
    const first = only((await reader.readAccount(account("1"), NOW)).hosts);
    expect(first).toMatchObject({ status: "never", missedSchedules: 0 });
    const threeDaysLater = new Date(NOW.getTime() + 3 * 86_400_000);
    expect(only((await reader.readAccount(account("1"), threeDaysLater)).hosts).missedSchedules).toBe(3);
  });
});

describe("reader edge cases", () => {
  it("reports an interrupted run and a symlinked backupEnded.xml on the host", async () => {
    const root = tempDir();
    const metadata = path.join(root, "2/incoming/pc/.sepiola_backup");
    mkdirSync(metadata, { recursive: true });
    cpSync(
      path.join(exampleBackupRoot, "3723701/incoming/EMPFANG-PC/.sepiola_backup/backupStarted.xml"),
      path.join(metadata, "backupStarted.xml"),
    );
    symlinkSync("/etc/shadow", path.join(metadata, "backupEnded.xml"));
    const reader = open(testConfig(root));
    expect(only((await reader.readAccount(account("2"), NOW)).hosts).status).toBe("running");
    const dayLater = new Date(NOW.getTime() + 86_400_000);
    const host = only((await reader.readAccount(account("2"), dayLater)).hosts);
    expect(host).toMatchObject({
      status: "interrupted",
      errors: ["backupEnded.xml is a symbolic link; not read"],
    });
  });

  it("aborts an account that takes longer than accountTimeoutMs, with an error", async () => {
    const root = tempDir();
    for (let i = 0; i < 300; i += 1) {
      const metadata = path.join(root, `3/incoming/host-${i}/.sepiola_backup`);
      mkdirSync(metadata, { recursive: true });
      writeFileSync(
        path.join(metadata, "backupEnded.xml"),
        endedXml(String(i), "2026-11-25T19:00:00+01:00", "1"),
      );
    }
    const state = await open(testConfig(root, { accountTimeoutMs: 1, maxHostsPerAccount: 1000 })).readAccount(
      account("3"),
      NOW,
    );
    expect(state.hosts).toEqual([]);
    expect(state.errors).toEqual([`reading ${path.join(root, "3")} took longer than 1 ms; aborted`]);
  });

  it("uses homeDirectory when the account has one, and never rejects", async () => {
    const root = tempDir();
    const home = path.join(tempDir(), "elsewhere");
    cpSync(path.join(exampleBackupRoot, "3723709"), home, { recursive: true });
    const reader = open(testConfig(root));
    expect(only((await reader.readAccount(account("9", { home }), NOW)).hosts).host).toBe("werkstatt");
    const file = path.join(root, "plain-file");
    writeFileSync(file, "x");
    const state = await reader.readAccount(account("10", { home: file }), NOW);
    expect(state).toMatchObject({ hosts: [], neverUsed: false });
    expect(state.errors).toEqual([`home ${file} is not a directory`]);
  });

  it("leaves an account whose home is on another server to that server (onlyAccountsWithHome)", async () => {
    const root = tempDir();
    cpSync(path.join(exampleBackupRoot, "3723709"), path.join(root, "3723709"), { recursive: true });
    const old = new Date(NOW.getTime() - 30 * 86_400_000);
    const shared = open(testConfig(root, { onlyAccountsWithHome: true }));
    const here = await shared.readAccount(account("3723709", { createdAt: old }), NOW);
    expect(here.elsewhere).toBeUndefined();
    expect(only(here.hosts).host).toBe("werkstatt");
    // Not here: another server's account, neither an error nor "never used".
    const away = await shared.readAccount(account("3723701", { createdAt: old }), NOW);
    expect(away).toMatchObject({ elsewhere: true, hosts: [], errors: [], neverUsed: false });
    // One server: the same missing home is this server's problem.
    const alone = await open(testConfig(root)).readAccount(account("3723701", { createdAt: old }), NOW);
    expect(alone.elsewhere).toBeUndefined();
    expect(alone.errors).toEqual([`home ${path.join(root, "3723701")} cannot be read (ENOENT)`]);
  });

  it("refuses a uid that would name a home outside the backup root", async () => {
    const root = tempDir();
    const reader = open(testConfig(root));
    for (const uid of ["..", ".", "../3723701", "a/b", ""]) {
      const state = await reader.readAccount(account(uid), NOW);
      expect(state.hosts).toEqual([]);
      expect(state.errors).toEqual([`uid ${JSON.stringify(uid)} cannot name a home below ${root}`]);
    }
  });

  it("flags never used only for accounts older than neverUsedAfterDays with a known creation time", async () => {
    const reader = open(testConfig(tempDir()));
    const created = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
    expect((await reader.readAccount(account("20", { createdAt: created(8) }), NOW)).neverUsed).toBe(true);
    expect((await reader.readAccount(account("21", { createdAt: created(6) }), NOW)).neverUsed).toBe(false);
    expect((await reader.readAccount(account("22"), NOW)).neverUsed).toBe(false);
    const withDirectorySuccess = account("23", {
      createdAt: created(30),
      lastSuccessfulBackup: new Map([["pc", created(20)]]),
    });
    expect((await reader.readAccount(withDirectorySuccess, NOW)).neverUsed).toBe(false);
  });

  it("does not call an account whose client files exist but cannot be read never used", async () => {
    const root = tempDir();
    const metadata = path.join(root, "24", "incoming", "pc", ".sepiola_backup");
    mkdirSync(metadata, { recursive: true });
    writeFileSync(path.join(metadata, "backupStarted.xml"), "<not-a-backup/>");
    symlinkSync("/etc/shadow", path.join(metadata, "backupEnded.xml"));
    const created = new Date(NOW.getTime() - 30 * 86_400_000);
    const state = await open(testConfig(root)).readAccount(account("24", { createdAt: created }), NOW);
    expect(state.hosts.map((h) => [h.host, h.status, h.errors.length])).toEqual([["pc", "never", 2]]);
    expect(state.neverUsed).toBe(false);
  });
});

function endedXml(id: string, date: string, success: string): string {
  return `<?xml version="1.0"?>\n \n<backup_ended>\n\t<enddate>${date}</enddate>\n\t<id>${id}</id>\n\t<success>${success}</success>\n</backup_ended>`;
}
