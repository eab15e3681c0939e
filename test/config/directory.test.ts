import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/index.js";
import { runCli } from "../directory/runCli.js";

const problemsOf = (yaml: string, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    parseConfig(yaml, "test.yaml", "/srv/monitor", env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("directory configuration", () => {
  it("documents its defaults", () => {
    const config = parseConfig("directory:\n  url: file:directory.ldif\n", "test.yaml", "/srv/monitor", {});
    expect(config.directory).toMatchObject({
      url: "file:/srv/monitor/directory.ldif",
      startTLS: false,
      pageSize: 100,
      batchSize: 200,
      cacheTtlSeconds: 60,
      accountListCacheSeconds: 0,
      resellerMail: true,
      resellerSettingsRdn: "ou=settings",
      accounts: {
        base: "ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org",
        filter: "(|(objectClass=sstBackup)(objectClass=sstBackupMonitorSettings))",
      },
      attributes: {
        warningsFlag: ["sstBackupWarnings", "sstBackupWarningOn"],
        failuresThreshold: "sstBackupWarningFailures",
      },
      defaults: {
        warnings: true,
        quotaWarningPercent: 85,
        missedBackupsThreshold: 1,
        missedDaysThreshold: 1,
        failuresThreshold: 1,
        language: "en",
        timeZone: "Europe/Zurich",
      },
    });
  });

  it.each([
    ["directory:\n  url: http://ldap.example.org\n", "directory.url: expected ldap://, ldaps:// or file:"],
    ["directory:\n  url: ldap://x\n  bogus: 1\n", 'directory: Unrecognized key: "bogus"'],
    [
      "directory:\n  url: ldap://x\n  attributes:\n    mial: x\n",
      'directory.attributes: Unrecognized key: "mial"',
    ],
    [
      "directory:\n  url: ldap://x\n  people:\n    filter: objectClass=sstPerson)\n",
      "directory.people.filter: expected an LDAP filter",
    ],
    ["directory:\n  url: ldap://x\n  pageSize: 0\n", "directory.pageSize: Too small"],
    [
      "directory:\n  url: ldap://x\n  bindDN: cn=monitor\n  bindPasswordFile: missing-password\n",
      "directory.bindPasswordFile: cannot read /srv/monitor/missing-password (ENOENT)",
    ],
    [
      "directory:\n  url: ldap://x\n  bindDN: cn=monitor\n",
      "directory.bindPassword: bindDN is set but no password",
    ],
    [
      "directory:\n  url: ldap://x\n  defaults:\n    timeZone: Mars/Olympus\n",
      "directory.defaults.timeZone: expected an IANA time zone",
    ],
    ["directory:\n  url: ldap://x\n  defaults:\n    timeZone: '+25:00'\n", "directory.defaults.timeZone"],
    [
      // A "billion laughs" file: ten aliases of ten aliases of … nine levels deep.
      [
        'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]',
        ..."bcdefghi"
          .split("")
          .map((name, i) => `${name}: &${name} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(", ")}]`),
        "directory:\n  url: ldap://x",
      ].join("\n"),
      "YAML: Excessive alias count indicates a resource exhaustion attack",
    ],
  ])("rejects %j", (yaml, problem) => {
    expect(problemsOf(yaml).some((p) => p.startsWith(problem))).toBe(true);
  });

  it.each(["Europe/Zurich", "UTC", "America/Argentina/Buenos_Aires", "+01:00", "-0930", "+14:00"])(
    "takes the time zone %s",
    (timeZone) => {
      const config = parseConfig(
        `directory:\n  url: ldap://x\n  defaults:\n    timeZone: "${timeZone}"\n`,
        "t.yaml",
        "/srv",
      );
      expect(config.directory.defaults.timeZone).toBe(timeZone);
    },
  );

  it("takes the bind password from the environment", () => {
    const config = parseConfig("directory:\n  url: ldap://x\n  bindDN: cn=monitor\n", "test.yaml", "/srv", {
      STONEY_LDAP_BIND_PASSWORD: "s3cret",
    });
    expect(config.directory.bindPassword).toBe("s3cret");
  });

  it("makes the CLI exit 2 naming the key, without a stack trace", async () => {
    const file = path.join(import.meta.dirname, "bad-url.yaml");
    writeFileSync(file, "directory:\n  url: http://ldap.example.org\n");
    try {
      const { code, stderr } = await runCli(["--config", file, "check-config"]);
      expect(code).toBe(2);
      expect(stderr).toBe(
        `${file}: invalid configuration\n  directory.url: expected ldap://, ldaps:// or file:\n`,
      );
    } finally {
      rmSync(file);
    }
  });
});
