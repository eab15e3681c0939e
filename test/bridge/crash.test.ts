import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBinaries } from "../support/binaries.js";
import { type Slapd, startSlapd } from "../support/slapd.js";
import {
  alert,
  freePort,
  payload,
  post,
  quotaAnnotations,
  runCli,
  type SmtpSink,
  smtpSink,
  spawnBridge,
  tempDir,
  waitFor,
} from "./support.js";

describe.skipIf(!requireBinaries(["slapd", "slapadd"]))(
  "bridge crash safety (child process, SIGKILL)",
  () => {
    let slapd: Slapd;
    let sink: SmtpSink;
    const temp = tempDir();
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      slapd = await startSlapd();
      sink = await smtpSink();
    });
    afterAll(async () => {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
      await sink?.stop();
      await slapd?.dispose();
      temp.remove();
    });

    it("delivers every accepted notification after a kill -9 mid-burst, and history lists it", async () => {
      const port = await freePort();
      const configFile = path.join(temp.dir, "config.yaml");
      // JSON is YAML; relative paths resolve against the config file's folder.
      writeFileSync(
        configFile,
        JSON.stringify({
          directory: { ...slapd.configFor(), cacheTtlSeconds: 0 },
          bridge: {
            listen: { host: "127.0.0.1", port },
            outbox: "./outbox.sqlite",
            coalesceSeconds: 0.2,
            smtp: { url: sink.url, maxConnections: 2 },
            retry: { initialBackoffSeconds: 0.1, maxBackoffSeconds: 0.5 },
            operators: ["ops@backup.example"],
          },
          logging: { level: "warn" },
        }),
      );
      const startChild = async () => (await spawnBridge(configFile, port, children)).child;

      const url = `http://127.0.0.1:${port}/webhook`;
      const first = await startChild();
      const accepted: string[] = [];
      let killed = false;
      const burst = Array.from({ length: 60 }, async (_, n) => {
        await new Promise((resolve) => setTimeout(resolve, n * 15));
        const hosts = Array.from({ length: 5 }, (_, i) => `h${n}-${i}`);
        const body = payload(
          hosts.map((host) =>
            alert({ account: "3723707", task: "quota", labels: { host }, annotations: quotaAnnotations }),
          ),
        );
        const answer = await post(url, body).catch(() => undefined);
        if (answer?.status === 200) accepted.push(...hosts);
        // Killed once a third of the burst is accepted, however slow the machine: the rest arrives at a dead bridge.
        if (!killed && accepted.length >= 100) {
          first.kill("SIGKILL");
          killed = true;
        }
      });
      await Promise.all(burst);
      expect(killed).toBe(true);

      const second = await startChild();
      const delivered = () =>
        sink
          .to("anna@example.co.uk")
          .map((m) => m.parsed.text ?? "")
          .join("\n");
      await waitFor(
        "every accepted alert in a delivered mail",
        () => accepted.every((host) => delivered().includes(`computer ${host})`)),
        30_000,
      );
      // The second address got the same alerts: nothing was lost for any recipient.
      const other = () =>
        sink
          .to("anna.smith@example.org")
          .map((m) => m.parsed.text ?? "")
          .join("\n");
      await waitFor("the second address too", () =>
        accepted.every((host) => other().includes(`computer ${host})`)),
      );

      second.kill("SIGTERM");
      await new Promise((resolve) => second.once("exit", resolve));
      expect(second.exitCode).toBe(0);

      const history = await runCli(["history", "--config", configFile, "--account", "3723707"]);
      expect(history.code).toBe(0);
      expect(history.stdout).toContain("anna@example.co.uk");
      expect(history.stdout).toMatch(/quota\s+firing\s+sent/);
    });
  },
);
