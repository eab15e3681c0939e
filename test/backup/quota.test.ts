import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  createQuotaSource,
  diskUsage,
  ldapQuota,
  parseRepquota,
  quotaState,
} from "../../src/backup/quota.js";
import type { QuotaConfig } from "../../src/config/index.js";
import { account, capturingLogger, NOW, tempDir } from "./support.js";

/** `repquota -u /srv` as printed by quota-tools 4.x: 1 KiB blocks, a grace column only when over soft. */
const REPQUOTA_OUTPUT = `*** Report for user quotas on device /dev/mapper/vg0-backup
Block grace time: 7days; Inode grace time: 7days
                        Block limits                File limits
User            used    soft    hard  grace    used  soft  hard  grace
----------------------------------------------------------------------
root      --      24       0       0              3     0     0
3723701   --  2097152 10485760 10485760          4211     0     0
3723702   +- 9437184 9000000 10485760  6days   12000     0     0
backup-42 --    1024       0 2048                 10     0     0
nolimit   --     512       0       0              1     0     0
#4711     --     100     200     300              1     0     0

`;

describe("repquota", () => {
  it("parses users, converting 1 KiB blocks to bytes", () => {
    const parsed = parseRepquota(REPQUOTA_OUTPUT);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.get("3723701")).toEqual({
      usedBytes: 2097152 * 1024,
      softLimitBytes: 10485760 * 1024,
      hardLimitBytes: 10485760 * 1024,
    });
    expect(parsed.value.get("3723702")?.usedBytes).toBe(9437184 * 1024);
    expect(parsed.value.get("#4711")?.hardLimitBytes).toBe(300 * 1024);
    expect(parsed.value.size).toBe(6);
  });

  it("sums a user over several filesystems and rejects output that is not a report", () => {
    const twice = parseRepquota(`${REPQUOTA_OUTPUT}${REPQUOTA_OUTPUT}`);
    expect(twice.ok && twice.value.get("3723701")?.usedBytes).toBe(2 * 2097152 * 1024);
    expect(parseRepquota("repquota: Cannot stat() given mountpoint /srv")).toEqual({
      ok: false,
      error: "no repquota report found (expected `repquota -u` output)",
    });
  });

  it("runs the configured command without a shell, maps users, and uses the hard limit as quota", async () => {
    const dir = tempDir();
    const file = path.join(dir, "repquota.txt");
    writeFileSync(file, REPQUOTA_OUTPUT);
    const config: QuotaConfig = {
      source: "repquota",
      command: ["cat", file],
      users: { "backup-42": "3723742" },
      timeoutSeconds: 10,
    };
    const source = createQuotaSource(config, capturingLogger().logger);
    await source.prepare(NOW);
    expect((await source.quotaFor(account("3723701"), dir, NOW)).quota).toEqual({
      quotaBytes: 10485760 * 1024,
      usedBytes: 2097152 * 1024,
      ratio: 0.2,
    });
    expect((await source.quotaFor(account("3723742"), dir, NOW)).quota).toEqual({
      quotaBytes: 2048 * 1024,
      usedBytes: 1024 * 1024,
      ratio: 0.5,
    });
    expect((await source.quotaFor(account("nolimit"), dir, NOW)).quota).toEqual({ usedBytes: 512 * 1024 });
    expect(await source.quotaFor(account("9999999"), dir, NOW)).toEqual({ quota: {} });
  });

  it("reads a file written by cron, and reports a failing command on every account", async () => {
    const dir = tempDir();
    const file = path.join(dir, "repquota.txt");
    writeFileSync(file, REPQUOTA_OUTPUT);
    const fromFile = createQuotaSource(
      { source: "repquota", file, users: {}, timeoutSeconds: 10 },
      capturingLogger().logger,
    );
    await fromFile.prepare(NOW);
    expect((await fromFile.quotaFor(account("3723702"), dir, NOW)).quota.usedBytes).toBe(9437184 * 1024);

    const { logger, lines } = capturingLogger();
    const failing = createQuotaSource(
      { source: "repquota", command: ["false"], users: {}, timeoutSeconds: 10 },
      logger,
    );
    await failing.prepare(NOW);
    const result = await failing.quotaFor(account("3723702", { quotaBytes: 100 }), dir, NOW);
    expect(result).toEqual({
      quota: { quotaBytes: 100 },
      error: expect.stringMatching(/^quota: cannot read repquota output/),
    });
    expect(lines().some((line) => line.msg === "quota from repquota unavailable for this collection")).toBe(
      true,
    );

    const slow = createQuotaSource(
      { source: "repquota", command: ["sleep", "5"], users: {}, timeoutSeconds: 1 },
      logger,
    );
    await slow.prepare(NOW);
    expect((await slow.quotaFor(account("1"), dir, NOW)).error).toBe(
      "quota: repquota command timed out after 1 s",
    );
  });
});

describe("directory quota", () => {
  it("adds backup and increment sizes and gives a ratio only for a known quota above zero", () => {
    expect(
      ldapQuota(
        account("3723702", {
          quotaBytes: 10737418240,
          backupSizeBytes: 9448928051,
          incrementSizeBytes: 966367642,
        }),
      ),
    ).toEqual({ quotaBytes: 10737418240, usedBytes: 10415295693, ratio: 10415295693 / 10737418240 });
    expect(ldapQuota(account("1", { backupSizeBytes: 5 }))).toEqual({ usedBytes: 5 });
    expect(ldapQuota(account("1", { quotaBytes: 0, backupSizeBytes: 5 }))).toEqual({
      quotaBytes: 0,
      usedBytes: 5,
    });
    expect(ldapQuota(account("1"))).toEqual({});
    expect(quotaState(100, 0)).toEqual({ quotaBytes: 100, usedBytes: 0, ratio: 0 });
  });
});

describe("du", () => {
  it("adds allocated blocks like du, counting hard links once and never following symbolic links", async () => {
    const outside = tempDir();
    writeFileSync(path.join(outside, "big"), Buffer.alloc(4 * 1024 * 1024, 1));
    const home = tempDir();
    mkdirSync(path.join(home, "incoming/pc/backup"), { recursive: true });
    writeFileSync(path.join(home, "incoming/pc/backup/a"), Buffer.alloc(100_000, 1));
    writeFileSync(path.join(home, "incoming/pc/backup/b"), "small");
    linkSync(path.join(home, "incoming/pc/backup/a"), path.join(home, "incoming/pc/backup/a-link"));
    symlinkSync(path.join(outside, "big"), path.join(home, "incoming/pc/backup/to-big"));
    symlinkSync(outside, path.join(home, "incoming/pc/backup/to-outside"));
    const expected = Number(
      execFileSync("du", ["-s", "-B1", "-P", home], { encoding: "utf8" }).split("\t")[0],
    );
    const used = await diskUsage(home, new AbortController().signal);
    expect(used).toBe(expected);
    expect(used).toBeLessThan(1024 * 1024);
  });

  it("measures in the background, once per refresh interval, with the directory's quota", async () => {
    const home = tempDir();
    writeFileSync(path.join(home, "file"), Buffer.alloc(50_000, 1));
    const source = createQuotaSource(
      { source: "du", refreshSeconds: 3600, timeoutSeconds: 60 },
      capturingLogger().logger,
    );
    const owner = account("1", { quotaBytes: 1_000_000 });
    // Unknown (not 0) until the first walk of the home has ended.
    expect(await source.quotaFor(owner, home, NOW)).toEqual({ quota: { quotaBytes: 1_000_000 } });
    const first = await vi.waitFor(async () => {
      const { quota } = await source.quotaFor(owner, home, NOW);
      expect(quota.usedBytes).toBeGreaterThanOrEqual(50_000);
      return quota;
    });
    expect(first.ratio).toBe((first.usedBytes as number) / 1_000_000);
    writeFileSync(path.join(home, "more"), Buffer.alloc(500_000, 1));
    const minuteLater = new Date(NOW.getTime() + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await source.quotaFor(owner, home, minuteLater)).quota).toEqual(first);
    const hourLater = new Date(NOW.getTime() + 3_600_000);
    await vi.waitFor(async () => {
      const { quota } = await source.quotaFor(owner, home, hourLater);
      expect(quota.usedBytes).toBeGreaterThan(first.usedBytes as number);
    });
    const missing = path.join(home, "missing");
    await vi.waitFor(async () => {
      expect(await source.quotaFor(account("2"), missing, NOW)).toEqual({
        quota: {},
        error: `quota: cannot walk ${missing} (ENOENT)`,
      });
    });
    source.close();
  });

  it("stops a walk when its signal fires (close, or timeoutSeconds)", async () => {
    const home = tempDir();
    mkdirSync(path.join(home, "a/b/c"), { recursive: true });
    await expect(diskUsage(home, AbortSignal.abort())).rejects.toMatchObject({ name: "AbortError" });
  });
});
