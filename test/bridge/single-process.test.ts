import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exampleLdif, freePort, runCli, spawnBridge, tempDir } from "./support.js";

describe("a SQLite outbox serves one process", () => {
  const temp = tempDir();
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    temp.remove();
  });

  const configFile = (port: number) => {
    const file = path.join(temp.dir, `bridge-${port}.yaml`);
    writeFileSync(
      file,
      JSON.stringify({
        directory: { url: `file:${exampleLdif}` },
        bridge: { listen: { host: "127.0.0.1", port }, outbox: "./outbox.sqlite" },
        logging: { level: "warn" },
      }),
    );
    return file;
  };

  it("refuses a second bridge on the same file, while history and the first bridge go on", async () => {
    const firstPort = await freePort();
    const first = await spawnBridge(configFile(firstPort), firstPort, children);

    const second = await runCli(["bridge", "--config", configFile(await freePort())]);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect(second.stderr).toContain("is in use by another process");
    expect(second.stderr).toContain("outbox.sqlite.lock");

    // Readers take no lock: history works while the bridge runs; migrate (a writer) does not.
    const history = await runCli(["history", "--config", configFile(firstPort), "--account", "3723702"]);
    expect(history).toMatchObject({ code: 0, stdout: "nothing recorded for account 3723702\n" });
    const migrate = await runCli(["migrate", "--config", configFile(firstPort)]);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain("is in use by another process");

    expect((await fetch(`http://127.0.0.1:${firstPort}/readyz`)).status).toBe(200);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const after = await runCli(["migrate", "--config", configFile(firstPort)]);
    expect(after).toMatchObject({ code: 0 });
    expect(after.stdout).toMatch(/schema at version \d+, nothing to do/);
  }, 90_000);
});
