import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alert, payload, post, type SmtpSink, smtpSink } from "../bridge/support.js";
import { requireBinaries } from "../support/binaries.js";
import { exampleLdif, freePort, spawnCli, waitFor } from "../support/common.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";
import { type RunningDaemon, startAlertmanager } from "./servers.js";

const token = "ha-token";
const operators = Array.from({ length: 10 }, (_, i) => `ops${i}@backup.example`);
const maxConnections = 4;

/** A bridge instance as its own process (so it can be killed), on the shared PostgreSQL outbox. */
interface Instance {
  port: number;
  url: string;
  child?: ChildProcess;
  stderr?: () => string;
}

describe.skipIf(!requireBinaries(["prometheus-alertmanager"]) || !requirePostgres())(
  "bridge HA: two instances on one PostgreSQL behind a clustered Alertmanager pair",
  () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stoney-ha-"));
    let postgres: Postgres;
    let outbox: string;
    let sink: SmtpSink;
    const bridges: Instance[] = [];
    const alertmanagers: RunningDaemon[] = [];

    const start = async (instance: Instance) => {
      const configFile = path.join(dir, `bridge-${instance.port}.json`);
      writeFileSync(
        configFile,
        JSON.stringify({
          directory: { url: `file:${exampleLdif}` },
          bridge: {
            listen: { host: "127.0.0.1", port: instance.port },
            auth: { bearerToken: token },
            outbox,
            // Long enough that a loaded machine does not let a live instance's claims lapse.
            postgres: { leaseSeconds: 5, poolSize: 4 },
            coalesceSeconds: 0,
            smtp: { url: sink.url, maxConnections },
            retry: { initialBackoffSeconds: 0.2, maxBackoffSeconds: 1 },
            operators,
          },
          logging: { level: "error" },
        }),
      );
      const { child, stderr } = spawnCli(["bridge", "--config", configFile]);
      Object.assign(instance, { child, stderr });
      await waitFor(
        `the bridge on ${instance.port}`,
        async () => (await fetch(`${instance.url}/readyz`).catch(() => undefined))?.ok,
        30_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; stderr: ${stderr()}`);
      });
    };

    /** How often each problem (its summary) reached each operator, over all mails. */
    const seen = (problems: readonly string[]) => {
      const counts = new Map<string, number>();
      for (const mail of sink.mails)
        for (const to of mail.envelopeTo)
          for (const problem of problems)
            if ((mail.parsed.text ?? "").includes(`${problem} is down`))
              counts.set(`${to} ${problem}`, (counts.get(`${to} ${problem}`) ?? 0) + 1);
      return counts;
    };
    const everyoneHas = (problems: readonly string[]) => {
      const counts = seen(problems);
      return operators.every((to) => problems.every((p) => (counts.get(`${to} ${p}`) ?? 0) > 0));
    };
    const problem = (name: string) => ({
      labels: { alertname: "StoneyBackupHaTest", audience: "operator", instance: name, severity: "warning" },
      annotations: { summary: `${name} is down` },
    });

    beforeAll(async () => {
      postgres = await startPostgres();
      outbox = await postgres.createDatabase("outbox");
      sink = await smtpSink();
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        bridges.push({ port, url: `http://127.0.0.1:${port}` });
      }
      // Both instances start together: they migrate the empty database once, under its lock.
      await Promise.all(bridges.map(start));
      const gossip = [await freePort(), await freePort()];
      for (const [i, bridge] of bridges.entries())
        alertmanagers.push(
          await startAlertmanager(path.join(dir, `alertmanager-${i}`), {
            webhookUrl: `${bridge.url}/webhook`,
            token,
            waitSeconds: 1,
            cluster: [
              `--cluster.listen-address=127.0.0.1:${gossip[i]}`,
              `--cluster.peer=127.0.0.1:${gossip[1 - i]}`,
              "--cluster.peer-timeout=1s",
              "--cluster.gossip-interval=100ms",
              "--cluster.pushpull-interval=2s",
            ],
          }),
        );
    }, 90_000);

    afterAll(async () => {
      for (const alertmanager of alertmanagers) await alertmanager.stop();
      for (const bridge of bridges) if (bridge.child?.exitCode === null) bridge.child.kill("SIGKILL");
      await sink?.stop();
      await postgres?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it("mails every operator each problem once, though both Alertmanagers notify both bridges", async () => {
      const problems = Array.from({ length: 12 }, (_, i) => `pair-${i}`);
      const alerts = problems.map((name) => ({ ...problem(name), startsAt: new Date().toISOString() }));
      for (const alertmanager of alertmanagers) {
        const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(alerts),
        });
        expect(posted.status).toBe(200);
      }
      // And straight to both bridges at once, as two Alertmanagers racing: the same alerts (same
      // fingerprints) accepted by two instances in the same moment.
      const racing = Array.from({ length: 12 }, (_, i) => `race-${i}`);
      const body = payload(racing.map((name) => alert({ ...problem(name), fingerprint: name })));
      const answers = await Promise.all(
        [...bridges, ...bridges].map((b) =>
          post(`${b.url}/webhook`, body, { authorization: `Bearer ${token}` }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      expect(answers.reduce((sum, a) => sum + Number(a.body.duplicates), 0)).toBe(3 * racing.length);
      problems.push(...racing);
      await waitFor("every problem at every operator", () => everyoneHas(problems), 30_000);
      // Let the second peer's notifications (after its peer timeout) and every retry arrive.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const counts = seen(problems);
      const twice = [...counts].filter(([, n]) => n !== 1);
      expect(twice).toEqual([]);
    }, 60_000);

    it("answers 503 while PostgreSQL is down; Alertmanager retries and nothing is lost", async () => {
      const problems = Array.from({ length: 6 }, (_, i) => `outage-${i}`);
      await postgres.stop();
      try {
        const answer = await post(`${bridges[0]?.url}/webhook`, payload([alert(problem("probe"))]), {
          authorization: `Bearer ${token}`,
        });
        expect(answer.status).toBe(503);
        expect((await fetch(`${bridges[1]?.url}/readyz`)).status).toBe(503);
        const alerts = problems.map((name) => ({ ...problem(name), startsAt: new Date().toISOString() }));
        for (const alertmanager of alertmanagers)
          await fetch(`${alertmanager.url}/api/v2/alerts`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(alerts),
          });
        await new Promise((resolve) => setTimeout(resolve, 30_000));
        expect(sink.mails.some((m) => (m.parsed.text ?? "").includes("outage-0 is down"))).toBe(false);
      } finally {
        await postgres.start();
      }
      await waitFor("every problem of the outage at every operator", () => everyoneHas(problems), 40_000);
    }, 120_000);

    it("finishes a killed instance's work: every mail arrives, resent ones bounded by its in-flight mails", async () => {
      const before = sink.mails.length;
      const problems = Array.from({ length: 2000 }, (_, i) => `burst-${i}`);
      const batches = Array.from({ length: 40 }, (_, b) => problems.slice(b * 50, b * 50 + 50));
      const [victim, survivor] = bridges as [Instance, Instance];
      let killedAt: number | undefined;
      for (const [b, batch] of batches.entries()) {
        const body = payload(batch.map((name) => alert({ ...problem(name), fingerprint: name })));
        const target = b % 2 === 0 && killedAt === undefined ? victim : survivor;
        const answer = await post(`${target.url}/webhook`, body, { authorization: `Bearer ${token}` });
        expect(answer.status).toBe(200);
        // Once mails flow from the burst, the victim dies mid-send.
        if (killedAt === undefined && ((b >= 10 && sink.mails.length > before + 20) || b === 30)) {
          victim.child?.kill("SIGKILL");
          killedAt = sink.mails.length;
        }
      }
      expect(killedAt).toBeDefined();
      await waitFor("every problem of the burst at every operator", () => everyoneHas(problems), 60_000);
      const ids = sink.mails.slice(before).map((m) => m.parsed.messageId);
      const resent = ids.length - new Set(ids).size;
      // Only mails in flight at the kill go twice (with the same Message-ID), at most one per connection.
      expect(resent).toBeLessThanOrEqual(maxConnections);
      // Beyond those resends, no problem reaches anyone in two different mails: routing and
      // coalescing never double, whichever instance did them.
      const mailsOf = new Map<string, Set<string | undefined>>();
      for (const mail of sink.mails.slice(before))
        for (const name of problems)
          if ((mail.parsed.text ?? "").includes(`${name} is down`))
            for (const to of mail.envelopeTo)
              mailsOf.set(
                `${to} ${name}`,
                (mailsOf.get(`${to} ${name}`) ?? new Set()).add(mail.parsed.messageId),
              );
      expect([...mailsOf].filter(([, ids]) => ids.size !== 1).slice(0, 3)).toEqual([]);
    }, 120_000);
  },
);
