import { describe, expect, it } from "vitest";
import { homeOf, rewriteHome } from "../../src/backup/index.js";
import { ConfigError, parseConfig } from "../../src/config/index.js";
import { account } from "./support.js";

const prefixes = [
  { from: "/home", to: "/var/backup" },
  { from: "/home/special", to: "/mnt/special" },
];

describe("rewriteHome", () => {
  it("replaces the longest matching prefix, whole path components only", () => {
    expect(rewriteHome("/home/3723701", prefixes)).toBe("/var/backup/3723701");
    expect(rewriteHome("/home/special/3723702", prefixes)).toBe("/mnt/special/3723702");
    expect(rewriteHome("/home", prefixes)).toBe("/var/backup");
    expect(rewriteHome("/home/", prefixes)).toBe("/var/backup");
    expect(rewriteHome("/homes/3723703", prefixes)).toBe("/homes/3723703");
    expect(rewriteHome("/srv/3723704", prefixes)).toBe("/srv/3723704");
  });

  it("does not let .. in a homeDirectory climb into another prefix's target", () => {
    expect(rewriteHome("/home/../etc", prefixes)).toBe("/home/../etc");
  });

  it("keeps every path with no prefixes, and '/' rewrites everything", () => {
    expect(rewriteHome("/home/3723701", [])).toBe("/home/3723701");
    expect(rewriteHome("/home/3723701", [{ from: "/", to: "/host" }])).toBe("/host/home/3723701");
  });
});

describe("homeOf", () => {
  const backup = { root: "/var/backup/fallback", homePrefixes: prefixes };

  it("rewrites the directory's homeDirectory and leaves <root>/<uid> alone", () => {
    expect(homeOf(account("3723701", { home: "/home/3723701" }), backup)).toBe("/var/backup/3723701");
    expect(homeOf(account("3723705"), backup)).toBe("/var/backup/fallback/3723705");
  });
});

describe("backup.homePrefixes in the configuration", () => {
  const parse = (yaml: string) =>
    parseConfig(`directory:\n  url: file:directory.ldif\nbackup:\n${yaml}`, "test.yaml", "/etc/stoney");

  it("resolves a relative target against the configuration file", () => {
    expect(parse("  homePrefixes:\n    - { from: /home, to: mnt/homes }\n").backup.homePrefixes).toEqual([
      { from: "/home", to: "/etc/stoney/mnt/homes" },
    ]);
  });

  it("wants an absolute `from`, as homeDirectory is", () => {
    expect(() => parse("  homePrefixes:\n    - { from: home, to: /var/backup }\n")).toThrow(ConfigError);
    expect(() => parse("  homePrefixes:\n    - { from: home, to: /var/backup }\n")).toThrow(
      "backup.homePrefixes.0.from: expected an absolute path such as /home",
    );
  });
});
