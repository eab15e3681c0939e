import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/index.js";

const parse = (yaml: string) =>
  parseConfig(`directory:\n  url: file:directory.ldif\n${yaml}`, "test.yaml", "/etc/stoney");

describe("backup and history configuration", () => {
  it("has the documented defaults and resolves paths against the config file", () => {
    const config = parse("");
    expect(config.backup).toEqual({
      root: "/var/backup",
      homePrefixes: [],
      incomingDir: "incoming",
      metadataDir: ".sepiola_backup",
      maxFileBytes: 65536,
      maxHostsPerAccount: 50,
      accountTimeoutMs: 10000,
      readerThreads: 2,
      recheckEveryCollections: 10,
      maxRunSeconds: 86400,
      clockSkewToleranceSeconds: 21600,
      graceSeconds: 3600,
      missedCap: 1000,
      neverUsedAfterDays: 7,
      onlyAccountsWithHome: false,
      minimumClientVersions: { "Sepiola Online Backup Client": "2.6.0", "Online Backup Perl Script": "1.3" },
      quota: { source: "ldap" },
    });
    expect(config.history.path).toBe(path.resolve("/etc/stoney", "data/history.sqlite"));
  });

  it("accepts each quota source with its defaults", () => {
    expect(
      parse("backup:\n  root: backups\n  quota:\n    source: repquota\n    file: repquota.txt\n").backup,
    ).toMatchObject({
      root: "/etc/stoney/backups",
      quota: { source: "repquota", file: "/etc/stoney/repquota.txt", users: {}, timeoutSeconds: 60 },
    });
    expect(
      parse("backup:\n  quota:\n    source: repquota\n    command: [repquota, -u, /srv]\n").backup.quota,
    ).toMatchObject({
      command: ["repquota", "-u", "/srv"],
    });
    expect(parse("backup:\n  quota:\n    source: du\n").backup.quota).toEqual({
      source: "du",
      refreshSeconds: 3600,
      timeoutSeconds: 600,
    });
  });

  it("rejects contradictory or malformed settings with a clear message", () => {
    expect(() => parse("backup:\n  quota:\n    source: repquota\n")).toThrow(
      /set exactly one of command or file/,
    );
    expect(() => parse("backup:\n  minimumClientVersions:\n    X: two\n")).toThrow(ConfigError);
    expect(() => parse("backup:\n  maxFileBytes: 0\n")).toThrow(/backup.maxFileBytes/);
    expect(() => parse("backup:\n  unknownKey: 1\n")).toThrow(ConfigError);
  });
});
