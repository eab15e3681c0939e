import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseConfig } from "../../src/config/index.js";
import { runCli } from "../support/common.js";
import type { Series } from "./exposition.js";
import {
  exampleBackupRoot,
  exampleLdif,
  removeTempDirs,
  scrape,
  startOnExamples,
  tempDir,
  testConfig,
} from "./support.js";

afterAll(removeTempDirs);

/** The per-account series, without the collector's and the process's own. */
const accountSeries = (series: Series[]) =>
  series.filter((s) => s.name.startsWith("stoney_backup_") && !s.name.startsWith("stoney_backup_collector_"));

async function scrapeOnce(config = testConfig()): Promise<Series[]> {
  const exporter = await startOnExamples(config);
  try {
    await exporter.collect();
    return (await scrape(exporter.url)).series;
  } finally {
    await exporter.close();
  }
}

describe("backup.homePrefixes: the homes mounted under another prefix than the directory's homeDirectory", () => {
  // The backup server keeps the homes in /home/<uid> (the directory says so); this exporter sees them in
  // <dir>/var-backup/<uid>, as in a container with the backup tree mounted at /var/backup.
  const dir = tempDir();
  const mounted = path.join(dir, "var-backup");
  cpSync(exampleBackupRoot, mounted, { recursive: true, preserveTimestamps: true });
  const ldif = path.join(dir, "directory.ldif");
  writeFileSync(
    ldif,
    readFileSync(exampleLdif, "utf8").replace(
      /^dn: uid=(\d+),ou=accounts,.*$/gm,
      (line, uid: string) => `${line}\nhomeDirectory: /home/${uid}`,
    ),
  );
  const configText = (homePrefixes: unknown[]) =>
    stringify({
      directory: { url: `file:${ldif}` },
      backup: { root: path.join(dir, "no-fallback-root"), homePrefixes },
      history: { path: path.join(tempDir(), "history.sqlite") },
      exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 3600 },
    });
  const config = (homePrefixes: unknown[]) => parseConfig(configText(homePrefixes), "test config", dir, {});

  it("reads every home through the rewrite: the same metrics as on the example tree", async () => {
    const expected = accountSeries(await scrapeOnce());
    const rewritten = accountSeries(await scrapeOnce(config([{ from: "/home", to: mounted }])));
    expect(rewritten.filter((s) => s.name === "stoney_backup_last_run_status").length).toBeGreaterThan(5);
    expect(rewritten).toEqual(expected);
  });

  it("finds no host without the rewrite (the homes are not where the directory says)", async () => {
    const series = await scrapeOnce(config([]));
    expect(series.find((s) => s.name === "stoney_backup_collector_hosts")?.value).toBe(0);
  });

  it("explain shows the directory's homeDirectory and where the exporter reads it", async () => {
    const configFile = path.join(dir, "config.yaml");
    writeFileSync(configFile, configText([{ from: "/home", to: mounted }]));
    const { code, stdout } = await runCli(["--config", configFile, "explain", "3723701"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^  home +/home/3723701 \\(read at ${path.join(mounted, "3723701")}\\)$`, "m"),
    );
  });
});
