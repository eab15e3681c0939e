import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { stringify } from "yaml";
import { type Config, parseConfig } from "../../src/config/index.js";
import { type RunningExporter, startExporter } from "../../src/exporter/index.js";
import { exampleBackupRoot, exampleLdif } from "../support/common.js";
import { parseExposition, type Series } from "./exposition.js";

export { exampleBackupRoot, exampleLdif } from "../support/common.js";
/** The fixed "now" of every test on the example data. */
export const NOW = new Date("2026-11-26T12:00:00Z");
export const silent = pino({ level: "silent" });

const temporary: string[] = [];

export const tempDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-exporter-test-"));
  temporary.push(dir);
  return dir;
};

export const removeTempDirs = (): void => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
};

/**
 * A configuration on the example backup tree with its history in a fresh folder; `directory` defaults
 * to the example LDIF, the exporter listens on a free 127.0.0.1 port and collects once at start.
 */
export function testConfig(
  patch: { directory?: Record<string, unknown>; exporter?: Record<string, unknown> } = {},
): Config {
  const dir = tempDir();
  const raw = {
    directory: { url: `file:${exampleLdif}`, ...patch.directory },
    backup: { root: exampleBackupRoot },
    history: { path: path.join(dir, "history.sqlite") },
    exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 3600, ...patch.exporter },
  };
  return parseConfig(stringify(raw), "test config", dir, {});
}

export const startOnExamples = (config: Config = testConfig()): Promise<RunningExporter> =>
  startExporter(config, silent, { now: () => NOW });

export async function scrape(url: string, init?: RequestInit): Promise<{ text: string; series: Series[] }> {
  const response = await fetch(`${url}/metrics`, init);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  return { text, series: parseExposition(text) };
}
