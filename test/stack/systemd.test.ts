import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { findBinary } from "../support/binaries.js";
import { repoRoot, runBinary } from "./processes.js";

const unitName = "stoney-backup-monitor@.service";
const unitFile = path.join(repoRoot, "deploy/systemd", unitName);
const unitText = readFileSync(unitFile, "utf8");

/** The [Service] settings of the unit, every value of a repeated key in order. */
const serviceSettings = (): Map<string, string[]> => {
  const settings = new Map<string, string[]>();
  let section = "";
  for (const line of unitText.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1] ?? "";
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (section !== "Service" || !setting) continue;
    const [, key = "", value = ""] = setting;
    settings.set(key, [...(settings.get(key) ?? []), value]);
  }
  return settings;
};

describe("the systemd unit", () => {
  const settings = serviceSettings();
  const one = (key: string) => settings.get(key)?.at(-1);

  it("runs the role named by the instance with the documented config path, as its own user", () => {
    expect(one("ExecStart")).toBe(
      "/usr/bin/node /opt/stoney-backup-monitor/dist/cli.js --config /etc/stoney-backup-monitor/config.yaml %i",
    );
    expect(one("User")).toBe("stoney-backup-monitor");
    expect(one("RestartPreventExitStatus")).toBe("2");
    expect(one("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
  });

  it("is hardened: read-only system and backup tree, no privilege gain, own /tmp, one state directory", () => {
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("NoNewPrivileges")).toBe("yes");
    expect(one("PrivateTmp")).toBe("yes");
    expect(one("ProtectHome")).toBe("yes");
    expect(one("StateDirectory")).toBe("stoney-backup-monitor");
    expect(one("ReadOnlyPaths")).toBe("-/var/backup");
    // Only reading someone else's files, never writing them.
    expect(one("CapabilityBoundingSet")).toBe("CAP_DAC_READ_SEARCH");
    expect(one("AmbientCapabilities")).toBe("CAP_DAC_READ_SEARCH");
    expect(settings.has("ReadWritePaths")).toBe(false);
  });

  it("fits the operator guide's configuration: its backup tree read only, its state writable", () => {
    const guide = readFileSync(path.join(repoRoot, "docs/operator-guide.md"), "utf8");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(guide)?.[1] ?? "";
    const configDir = "/etc/stoney-backup-monitor/";
    expect(one("ExecStart")).toContain(`--config ${configDir}config.yaml`);
    const dir = mkdtempSync(path.join(tmpdir(), "stoney-systemd-config-"));
    try {
      // The guide's secret files, in a folder of the test's own.
      const local = yaml.replaceAll(configDir, `${dir}/`);
      for (const [, secret] of local.matchAll(/File: (\S+)/g))
        writeFileSync(secret ?? "", "a secret long enough for every key of the guide\n");
      writeFileSync(path.join(dir, "config.yaml"), local);
      const config = loadConfig(path.join(dir, "config.yaml"), {});
      expect(`-${config.backup.root}`).toBe(one("ReadOnlyPaths"));
      const state = `/var/lib/${one("StateDirectory")}/`;
      expect(config.history.path.startsWith(state)).toBe(true);
      expect(config.bridge.outbox.startsWith(state)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const systemdAnalyze = findBinary("systemd-analyze");
// Optional: the structural checks above run everywhere; systemd itself is rarely installed in a CI container.
if (systemdAnalyze === undefined)
  console.warn("\n*** SKIPPING systemd-analyze verify: systemd-analyze is not installed ***\n");

describe.skipIf(systemdAnalyze === undefined)("systemd-analyze", () => {
  let dir: string;
  let instance: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "stoney-systemd-"));
    // verify also checks that ExecStart's program exists: point it at this machine's node.
    writeFileSync(
      path.join(dir, unitName),
      unitText.replace("ExecStart=/usr/bin/node ", `ExecStart=${process.execPath} `),
    );
    instance = path.join(dir, "stoney-backup-monitor@exporter.service");
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("verifies the exporter instance without a warning", async () => {
    const result = await runBinary(systemdAnalyze ?? "", ["verify", instance], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("rates its exposure as low", async () => {
    const result = await runBinary(systemdAnalyze ?? "", ["security", "--offline=true", instance], dir);
    const level = /Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout + result.stderr);
    expect(level, result.stdout + result.stderr).not.toBeNull();
    expect(Number(level?.[1])).toBeLessThanOrEqual(2);
  });
});
