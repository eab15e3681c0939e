import { once } from "node:events";
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { runCli as cli, exampleLdif, freePort, smtpSink, spawnCli, tempDir } from "./support.js";

describe("bridge and history subcommands: operator errors without stack traces", () => {
  const temp = tempDir();
  afterAll(() => temp.remove());

  const config = (bridge: object) => {
    const file = path.join(temp.dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, JSON.stringify({ directory: { url: `file:${exampleLdif}` }, bridge }));
    return file;
  };

  it("check-config connects to the SMTP server and names it, and fails when nobody answers", async () => {
    const sink = await smtpSink();
    try {
      const ok = await cli(["check-config", "--config", config({ smtp: { url: sink.url } })]);
      expect(ok.stdout).toContain(`mail ${sink.url}: ok (connected to 127.0.0.1:${sink.port})`);
      expect(ok.code).toBe(0);
    } finally {
      await sink.stop();
    }
    const closed = `smtp://127.0.0.1:${await freePort()}`;
    const failed = await cli([
      "check-config",
      "--config",
      config({ smtp: { url: closed, timeoutMs: 2000 } }),
    ]);
    expect(failed.stdout).toMatch(new RegExp(`mail ${closed}: FAILED: .*ECONNREFUSED`));
    expect(failed.code).toBe(1);
  });

  it("exits 1 with a message when the listen port is taken", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await cli(["bridge", "--config", config({ listen: { port }, outbox: "./busy.sqlite" })]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`bridge: cannot listen on 127.0.0.1:${port}`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it("history says when there is no outbox yet, and when nothing was recorded", async () => {
    const missing = await cli([
      "history",
      "--config",
      config({ outbox: "./none.sqlite" }),
      "--account",
      "3723702",
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no outbox at");
    await new SqliteOutbox(path.join(temp.dir, "empty.sqlite")).close();
    const empty = await cli([
      "history",
      "--config",
      config({ outbox: "./empty.sqlite" }),
      "--account",
      "3723702",
    ]);
    expect(empty).toMatchObject({ code: 0, stdout: "nothing recorded for account 3723702\n" });
  });

  it("history on a file that is no outbox says so in one line", async () => {
    writeFileSync(path.join(temp.dir, "corrupt.sqlite"), "not a database ".repeat(500));
    const result = await cli([
      "history",
      "--config",
      config({ outbox: "./corrupt.sqlite" }),
      "--account",
      "3723702",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^cannot read the outbox .*corrupt\.sqlite: file is not a database$/),
    ]);
  });

  it("history into a reader that leaves early (history | head) ends quietly with 0", async () => {
    const outbox = new SqliteOutbox(path.join(temp.dir, "long.sqlite"));
    const alerts = Array.from({ length: 3000 }, (_, i) => ({
      status: "firing" as const,
      labels: { account: "3723702", task: "quota", host: `host${i}` },
      annotations: {},
      startsAt: "2026-11-30T10:00:00Z",
      fingerprint: `fp${i}`,
    }));
    await outbox.accept(
      {
        version: "4",
        groupKey: "{}",
        truncatedAlerts: 0,
        status: "firing",
        receiver: "bridge",
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: "",
        alerts,
      },
      Date.now(),
      0,
    );
    await outbox.close();
    const { child, exited, stderr } = spawnCli(
      ["history", "--config", config({ outbox: "./long.sqlite" }), "--account", "3723702", "--limit", "3000"],
      {},
      "pipe",
    );
    const stdout = child.stdout;
    if (!stdout) throw new Error("no stdout");
    await once(stdout, "data");
    stdout.destroy();
    expect(await exited).toBe(0);
    expect(stderr()).toBe("");
  });
});
