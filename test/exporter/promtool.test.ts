import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { requireBinaries } from "../support/binaries.js";
import { freePort, repoRoot, spawnCli, waitFor } from "../support/common.js";
import { promtoolCheck } from "./exposition.js";

const dir = mkdtempSync(path.join(tmpdir(), "stoney-promtool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!requireBinaries(["promtool"]))("promtool check metrics on a real scrape", () => {
  it("finds nothing in what the exporter serves on the example", async () => {
    // The example configuration as it ships, with its own port and history so it runs beside others.
    const exampleFile = path.join(repoRoot, "examples/config.yaml");
    const example = parse(readFileSync(exampleFile, "utf8"));
    const port = await freePort();
    const configFile = path.join(dir, "config.yaml");
    writeFileSync(
      configFile,
      stringify({
        ...example,
        directory: { ...example.directory, url: `file:${path.join(repoRoot, "examples/directory.ldif")}` },
        backup: { ...example.backup, root: path.join(repoRoot, "examples/backup") },
        history: { path: path.join(dir, "history.sqlite") },
        exporter: { ...example.exporter, listen: { host: "127.0.0.1", port } },
      }),
    );
    const { child, exited, stderr } = spawnCli(["--config", configFile, "exporter"]);
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor("/readyz", async () => (await fetch(`${url}/readyz`)).ok);
      const scrape = await (await fetch(`${url}/metrics`)).text();
      expect(scrape).toContain("stoney_backup_last_success_age_threshold_seconds{");
      expect(scrape).toContain("nodejs_eventloop_lag_seconds");
      expect(await promtoolCheck(scrape)).toEqual({ code: 0, output: "" });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited, stderr()).toBe(0);
  });
});
