import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { defaultConfigPaths } from "../src/config/index.js";
import { exampleBackupRoot, exampleLdif, freePort, repoRoot, runCli } from "./support/common.js";

const dir = mkdtempSync(path.join(tmpdir(), "stoney-cli-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder holding `config.yaml` with these sections (an empty folder without sections). */
function folderWithConfig(name: string, sections?: Record<string, unknown>): string {
  const folder = path.join(dir, name);
  mkdirSync(folder);
  if (sections) writeFileSync(path.join(folder, "config.yaml"), stringify(sections));
  return folder;
}

const directory = { url: `file:${exampleLdif}` };
const exporterOnly = { directory, backup: { root: exampleBackupRoot } };

describe("--version", () => {
  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    const result = await runCli(["--version"]);
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });
});

describe("the default configuration file", () => {
  it("is ./config.yaml in the working directory when --config is not given", async () => {
    const cwd = folderWithConfig("default", exporterOnly);
    const { code, stdout } = await runCli(["check-config"], {}, cwd);
    expect(stdout).toMatch(/^configuration \.\/config\.yaml: ok \(roles: exporter\)\n/);
    expect(code).toBe(0);
  });

  it.skipIf(existsSync(defaultConfigPaths[1]))(
    "is looked for in the working directory, then under /etc; neither is a configuration error naming both",
    async () => {
      const cwd = folderWithConfig("none");
      const { code, stderr } = await runCli(["check-config"], {}, cwd);
      expect(code).toBe(2);
      expect(stderr).toBe(
        "./config.yaml: invalid configuration\n  no such file, nor /etc/stoney-backup-monitor/config.yaml: pass --config <file>\n",
      );
    },
  );
});

describe("check-config checks what the roles need", () => {
  const closedSmtp = async () => `smtp://127.0.0.1:${await freePort()}`;

  it("an exporter-only file needs the directory and the backup tree, not a mail server", async () => {
    const cwd = folderWithConfig("exporter-only", exporterOnly);
    const { code, stdout } = await runCli(["check-config"], {}, cwd);
    expect(stdout.split("\n").map((line) => line.split(" ")[0])).toEqual([
      "configuration",
      "directory",
      "backup",
      "",
    ]);
    expect(stdout).toContain(`backup ${exampleBackupRoot}: ok (`);
    expect(code).toBe(0);
  });

  it("a file with a bridge section is checked for the mail server too, unless --role says otherwise", async () => {
    const smtp = await closedSmtp();
    const cwd = folderWithConfig("both", {
      ...exporterOnly,
      bridge: { smtp: { url: smtp, timeoutMs: 2000 } },
    });
    const [both, exporter, bridge] = await Promise.all([
      runCli(["check-config"], {}, cwd),
      runCli(["check-config", "--role", "exporter"], {}, cwd),
      runCli(["check-config", "--role", "bridge"], {}, cwd),
    ]);
    expect(both.stdout).toContain("(roles: exporter, bridge)");
    expect(both.stdout).toMatch(new RegExp(`^mail ${smtp}: FAILED`, "m"));
    expect(both.code).toBe(1);

    expect(exporter.stdout).toContain("(roles: exporter)");
    expect(exporter.stdout).not.toContain("mail");
    expect(exporter.code).toBe(0);

    expect(bridge.stdout).not.toContain("backup");
    expect(bridge.code).toBe(1);
  }, 120_000);

  it("a file with a selfcare section lists the selfcare role", async () => {
    const cwd = folderWithConfig("with-selfcare", { ...exporterOnly, selfcare: { pageSize: 20 } });
    const [configured, asked] = await Promise.all([
      runCli(["check-config"], {}, cwd),
      runCli(["check-config", "--role", "selfcare"], {}, cwd),
    ]);
    expect(configured.stdout).toContain("(roles: exporter, selfcare)");
    expect(configured.code).toBe(0);
    expect(asked.stdout).toContain("(roles: selfcare)");
    expect(asked.stdout).not.toContain("backup");
    expect(asked.code).toBe(0);
  }, 120_000);

  it("the exporter's check fails when the backup root or a home prefix's target cannot be listed", async () => {
    const missing = path.join(dir, "no-such-root");
    const cwd = folderWithConfig("missing-root", { directory, backup: { root: missing } });
    const prefixed = folderWithConfig("missing-prefix", {
      directory,
      backup: { root: exampleBackupRoot, homePrefixes: [{ from: "/home", to: missing }] },
    });
    const [{ code, stdout }, withPrefix] = await Promise.all([
      runCli(["check-config"], {}, cwd),
      runCli(["check-config"], {}, prefixed),
    ]);
    expect(stdout).toContain(`backup ${missing}: FAILED: cannot list it (ENOENT)\n`);
    expect(code).toBe(1);

    expect(withPrefix.stdout).toContain(`backup ${exampleBackupRoot}: ok (`);
    expect(withPrefix.stdout).toContain(`backup ${missing}: FAILED: cannot list it (ENOENT)\n`);
    expect(withPrefix.code).toBe(1);
  }, 120_000);
});

describe("log level and format", () => {
  // `explain` opens the example directory, which logs "directory file loaded" at debug level.
  const cwd = folderWithConfig("logging", { directory, logging: { level: "warn" } });
  const explain = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli([...args, "explain", "3723701"], { STONEY_LOG_LEVEL: "", STONEY_LOG_FORMAT: "", ...env }, cwd);
  const debugLines = (stderr: string) =>
    stderr.split("\n").filter((line) => line.includes("directory file loaded"));

  it("the file's level applies when neither the command line nor the environment sets one", async () => {
    const { code, stderr } = await explain([]);
    expect(code).toBe(0);
    expect(debugLines(stderr)).toEqual([]);
  });

  it("STONEY_LOG_LEVEL wins over the file, --log-level over both", async () => {
    const [fromEnvironment, fromCommandLine, both] = await Promise.all([
      explain([], { STONEY_LOG_LEVEL: "debug" }),
      explain(["--log-level", "debug"]),
      explain(["--log-level", "info"], { STONEY_LOG_LEVEL: "debug" }),
    ]);
    expect(debugLines(fromEnvironment.stderr)).toHaveLength(1);
    expect(debugLines(fromCommandLine.stderr)).toHaveLength(1);
    expect(debugLines(both.stderr)).toEqual([]);
  }, 120_000);

  it("logs JSON lines when stderr is not a terminal, pretty lines with --log-format pretty", async () => {
    const runs = await Promise.all([
      explain(["--log-level", "debug"]),
      explain(["--log-level", "debug", "--log-format", "pretty"]),
      explain(["--log-level", "debug"], { STONEY_LOG_FORMAT: "pretty" }),
    ]);
    const [json, pretty, fromEnvironment] = runs.map((run) => debugLines(run.stderr)[0]);
    expect(JSON.parse(json ?? "")).toMatchObject({ level: 20, msg: "directory file loaded" });
    expect(pretty).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] DEBUG: directory file loaded \{"file":/,
    );
    expect(fromEnvironment).toMatch(/^\[.*\] DEBUG: /);
  }, 120_000);

  it("an unknown level in the environment is a configuration error naming the variable", async () => {
    const { code, stderr } = await explain([], { STONEY_LOG_LEVEL: "loud" });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'STONEY_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, got "loud"',
    );
  });
});
