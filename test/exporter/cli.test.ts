import { once } from "node:events";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { freePort, spawnCli, waitFor } from "../support/common.js";
import { parseExposition, seriesValue } from "./exposition.js";
import { exampleBackupRoot, exampleLdif, removeTempDirs, tempDir } from "./support.js";

afterAll(removeTempDirs);

/** A config file on the example data with the exporter on `port`, in a fresh folder. */
function writeConfig(port: number, extra: Record<string, unknown> = {}): string {
  const configFile = path.join(tempDir(), "config.yaml");
  writeFileSync(
    configFile,
    stringify({
      directory: { url: `file:${exampleLdif}` },
      backup: { root: exampleBackupRoot },
      history: { path: "./history.sqlite" },
      exporter: { listen: { host: "127.0.0.1", port } },
      ...extra,
    }),
  );
  return configFile;
}

describe("exporter subcommand", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("serves the example and stops cleanly on %s", async (signal) => {
    const port = await freePort();
    const configFile = writeConfig(port, { logging: { level: "warn" } });
    const { child, exited, stderr } = spawnCli(["--config", configFile, "exporter"]);
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor("/readyz", async () => (await fetch(`${url}/readyz`)).ok);
      const series = parseExposition(await (await fetch(`${url}/metrics`)).text());
      expect(seriesValue(series, "stoney_backup_collector_accounts")).toBe(9);
    } finally {
      child.kill(signal);
    }
    expect(await exited, stderr()).toBe(0);
  });

  it("exits 1 with a one-line reason when the port is taken", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as { port: number }).port;
    const configFile = writeConfig(port);
    const { exited, stderr } = spawnCli(["--config", configFile, "exporter"]);
    const code = await exited;
    blocker.close();
    expect(code).toBe(1);
    expect(stderr()).toContain("EADDRINUSE");
    expect(stderr()).not.toMatch(/\n\s+at /);
  });

  it("ends a collection in progress on SIGTERM, serving the last good data until then", async () => {
    const port = await freePort();
    const dir = tempDir();
    // repquota answers the first collection at once and hangs in the second (for ten minutes).
    const repquota = path.join(dir, "repquota");
    writeFileSync(
      repquota,
      `#!/bin/sh\nif [ -e "${dir}/answered" ]; then touch "${dir}/hanging"; exec sleep 600; fi\ntouch "${dir}/answered"\necho "*** Report for user quotas on device /dev/sda1"\n`,
    );
    chmodSync(repquota, 0o755);
    const configFile = writeConfig(port, {
      backup: {
        root: exampleBackupRoot,
        quota: { source: "repquota", command: [repquota], timeoutSeconds: 600 },
      },
      exporter: { listen: { host: "127.0.0.1", port }, intervalSeconds: 1 },
      logging: { level: "info" },
    });
    const { child, exited, stderr } = spawnCli(["--config", configFile, "exporter"]);
    try {
      await waitFor("the second collection", async () => existsSync(path.join(dir, "hanging")));
      const series = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      expect(seriesValue(series, "stoney_backup_collector_accounts")).toBe(9);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited, stderr()).toBe(0);
    expect(stderr()).toContain("collection aborted");
  }, 60_000);
});
