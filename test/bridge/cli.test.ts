import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { runCli as cli, exampleLdif, freePort, smtpSink, tempDir } from "./support.js";

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
});
