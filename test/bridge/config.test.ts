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
    expect(bridge.outbox).toBe("/etc/stoney/data/outbox.sqlite");
    expect(bridge.smtp.url).toBe("file:/etc/stoney/mail");
    expect(bridge.templates.overrideDir).toBe("/etc/stoney/templates");
  });

  it("takes a postgres:// outbox as it is, its password from PGPASSWORD, else the file, else inline", () => {
    const url = "postgres://bridge@db.example:5432/stoney?sslmode=require";
    const text = (postgres: string) =>
      `directory:\n  url: file:./directory.ldif\nbridge:\n  outbox: ${url}\n  postgres:\n${postgres}`;
    const inline = parseConfig(text("    password: inline\n"), "test.yaml", "/etc/stoney", {}).bridge;
    expect(inline.outbox).toBe(url);
    expect(inline.postgres).toMatchObject({ password: "inline", leaseSeconds: 30 });
    const env = parseConfig(text("    password: inline\n"), "test.yaml", "/etc/stoney", {
      PGPASSWORD: "env",
    });
    expect(env.bridge.postgres.password).toBe("env");
    expect(() => parseConfig(text("    passwordFile: /nonexistent/pg\n"), "test.yaml", "/etc", {})).toThrow(
      /bridge.postgres.passwordFile: cannot read/,
    );
    // A SQLite outbox ignores PostgreSQL's variable, even an empty one.
    const sqlite = parseConfig("directory:\n  url: file:./d.ldif\n", "test.yaml", "/etc/stoney", {
      PGPASSWORD: "",
    });
    expect(sqlite.bridge.outbox).toBe("/etc/stoney/data/outbox.sqlite");
  });

  it("names the new key when a configuration still says outboxPath", () => {
    expect(() => parse("  outboxPath: ./outbox.sqlite\n")).toThrow(
      "bridge.outboxPath: renamed to bridge.outbox (a SQLite file or a postgres:// URL)",
    );
  });

  it("rejects other mail URLs and operator entries that are not addresses", () => {
    expect(() => parse("  smtp:\n    url: http://mail\n")).toThrow(ConfigError);
    expect(() => parse("  operators: [not-an-address]\n")).toThrow(/bridge.operators.0/);
  });
});
