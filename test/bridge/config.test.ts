import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/index.js";

const parse = (bridge: string) =>
  parseConfig(`directory:\n  url: file:./directory.ldif\nbridge:\n${bridge}`, "test.yaml", "/etc/stoney");

describe("bridge configuration", () => {
  it("switches resolved mails per task, keeping the defaults of the other tasks", () => {
    const { resolved } = parse("  templates:\n    resolved:\n      upgrade: true\n      quota: false\n")
      .bridge.templates;
    expect(resolved).toEqual({
      quota: false,
      schedule: true,
      unsuccessful: true,
      upgrade: true,
      nobackup: false,
      unreadable: false,
      generic: true,
    });
  });

  it("resolves the outbox, the file: mail folder and the template folder against the config file", () => {
    const { bridge } = parse("  smtp:\n    url: file:mail\n  templates:\n    overrideDir: templates\n");
    expect(bridge.outboxPath).toBe("/etc/stoney/data/outbox.sqlite");
    expect(bridge.smtp.url).toBe("file:/etc/stoney/mail");
    expect(bridge.templates.overrideDir).toBe("/etc/stoney/templates");
  });

  it("rejects other mail URLs and operator entries that are not addresses", () => {
    expect(() => parse("  smtp:\n    url: http://mail\n")).toThrow(ConfigError);
    expect(() => parse("  operators: [not-an-address]\n")).toThrow(/bridge.operators.0/);
  });
});
