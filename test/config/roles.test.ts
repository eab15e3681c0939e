import { describe, expect, it } from "vitest";
import { configuredRoles, findConfigFile } from "../../src/config/index.js";

describe("configuredRoles", () => {
  it("is the roles whose sections the file sets", () => {
    expect(configuredRoles(["directory", "backup"])).toEqual(["exporter"]);
    expect(configuredRoles(["directory", "history", "logging"])).toEqual(["exporter"]);
    expect(configuredRoles(["directory", "bridge"])).toEqual(["bridge"]);
    expect(configuredRoles(["exporter", "bridge"])).toEqual(["exporter", "bridge"]);
    expect(configuredRoles(["directory", "selfcare"])).toEqual(["selfcare"]);
    expect(configuredRoles(["exporter", "bridge", "selfcare"])).toEqual(["exporter", "bridge", "selfcare"]);
  });

  it("is both roles for a file that sets only what both read", () => {
    expect(configuredRoles(["directory", "logging"])).toEqual(["exporter", "bridge"]);
    expect(configuredRoles([])).toEqual(["exporter", "bridge"]);
  });
});

describe("findConfigFile", () => {
  it("prefers the working directory's config.yaml over the system-wide one", () => {
    expect(findConfigFile(() => true)).toBe("./config.yaml");
    expect(findConfigFile((file) => file.startsWith("/etc/"))).toBe("/etc/stoney-backup-monitor/config.yaml");
  });

  it("names both places when neither exists", () => {
    expect(() => findConfigFile(() => false)).toThrow(
      "no such file, nor /etc/stoney-backup-monitor/config.yaml: pass --config <file>",
    );
  });
});
