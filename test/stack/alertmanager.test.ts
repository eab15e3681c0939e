import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { requireBinaries } from "../support/binaries.js";
import { type Daemon, freePort, runBinary, startDaemon, waitFor } from "./processes.js";
import { type RunningDaemon, startAlertmanagerPair } from "./servers.js";
import { alertmanagerConfig } from "./stack-config.js";

const configFile = "alertmanager/alertmanager.yml";

const routeOf = async (labels: Record<string, string>): Promise<string> => {
  const result = await runBinary("amtool", [
    "config",
    "routes",
    "test",
    `--config.file=${configFile}`,
    ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  ]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
};

describe.skipIf(!requireBinaries(["amtool"]))("amtool", () => {
  it("accepts alertmanager.yml", async () => {
    const result = await runBinary("amtool", ["check-config", configFile]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("SUCCESS");
  });

  it.each([
    [{ alertname: "StoneyBackupQuotaWarning", task: "quota", account: "3723702", severity: "warning" }],
    [{ alertname: "StoneyBackupScheduleMissed", task: "schedule", account: "3723704", host: "pc" }],
    [{ alertname: "StoneyBackupTooLongWithoutSuccess", task: "schedule", account: "3723709", host: "pc" }],
    [{ alertname: "StoneyBackupUnsuccessful", task: "unsuccessful", account: "3723703", host: "srv" }],
    [{ alertname: "StoneyBackupClientOutdated", task: "upgrade", account: "3723705", host: "pc" }],
    [{ alertname: "StoneyBackupNeverUsed", task: "nobackup", account: "3723706" }],
    [{ alertname: "StoneyBackupClientStatusUnreadable", task: "unreadable", account: "3723708", host: "pc" }],
  ])("routes customer alert %o to the bridge's customer receiver", async (labels) => {
    expect(await routeOf(labels)).toBe("bridge-customers");
  });

  it.each([
    [
      {
        alertname: "StoneyBackupExporterDown",
        audience: "operator",
        task: "monitoring",
        severity: "critical",
      },
    ],
    [{ alertname: "StoneyBackupMassFailure", audience: "operator", task: "monitoring", instance: "b:9851" }],
    [{ alertname: "SomethingElse", severity: "warning" }],
  ])("routes %o to the operators", async (labels) => {
    expect(await routeOf(labels)).toBe("operators");
  });

  it("routes the accounts of a failing server to a receiver that sends nothing", async () => {
    expect(
      await routeOf({
        alertname: "StoneyBackupMassFailureAccount",
        audience: "none",
        task: "hold",
        account: "1",
      }),
    ).toBe("hold");
    const config = parse(readFileSync(configFile, "utf8")) as { receivers: Record<string, unknown>[] };
    expect(config.receivers.find((r) => r.name === "hold")).toEqual({ name: "hold" });
  });
});

interface Delivery {
  authorization: string | undefined;
  receiver: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

/** A webhook endpoint on loopback standing in for the bridge: it records every notification. */
async function webhookReceiver() {
  const deliveries: Delivery[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      deliveries.push({
        authorization: request.headers.authorization,
        ...(JSON.parse(body) as Omit<Delivery, "authorization">),
      });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    deliveries,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const firing = (alertname: string, labels: Record<string, string>) => ({
  labels: { alertname, ...labels },
  annotations: { summary: "test" },
  startsAt: new Date().toISOString(),
});

describe.skipIf(!requireBinaries(["prometheus-alertmanager"]))(
  "Alertmanager with the shipped configuration",
  () => {
    let dir: string;
    let alertmanager: Daemon | undefined;
    let receiver: Awaited<ReturnType<typeof webhookReceiver>> | undefined;
    let amUrl: string;
    let deliveries: Delivery[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "stoney-am-"));
      receiver = await webhookReceiver();
      deliveries = receiver.deliveries;
      const tokenFile = path.join(dir, "bridge-token");
      writeFileSync(tokenFile, "am-test-token\n");
      const config = path.join(dir, "alertmanager.yml");
      writeFileSync(
        config,
        alertmanagerConfig({
          webhookUrl: receiver.url,
          tokenFile,
          waitSeconds: 1,
        }),
      );
      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      alertmanager = await startDaemon(
        "prometheus-alertmanager",
        [
          `--config.file=${config}`,
          `--storage.path=${path.join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--cluster.listen-address=",
        ],
        `${amUrl}/-/ready`,
      );
    });

    afterAll(async () => {
      await alertmanager?.stop();
      await receiver?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("holds back warnings the customer need not get, and groups per account and task", async () => {
      const operator = { audience: "operator", task: "monitoring", severity: "critical" };
      const posted = await fetch(`${amUrl}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          // The backup server "broken" fails as a whole: its accounts 1, 2 and 3 are marked, and
          // their schedule and failure warnings wait ...
          firing("StoneyBackupMassFailure", { ...operator, instance: "broken:9851" }),
          ...["1", "2", "3"].map((account) =>
            firing("StoneyBackupMassFailureAccount", { audience: "none", task: "hold", account }),
          ),
          firing("StoneyBackupScheduleMissed", { task: "schedule", account: "1", host: "a" }),
          firing("StoneyBackupUnsuccessful", { task: "unsuccessful", account: "2", host: "a" }),
          // ... but not their quota warnings.
          firing("StoneyBackupQuotaWarning", { task: "quota", account: "3" }),
          // Account 4 on another server: a host that misses its runs is told that, not also the days
          // without success; its sibling host without planned times is told the days without
          // success, in the same notification.
          firing("StoneyBackupScheduleMissed", { task: "schedule", account: "4", host: "a" }),
          firing("StoneyBackupTooLongWithoutSuccess", { task: "schedule", account: "4", host: "a" }),
          firing("StoneyBackupTooLongWithoutSuccess", { task: "schedule", account: "4", host: "b" }),
        ]),
      });
      expect(posted.status).toBe(200);

      await waitFor("three deliveries", async () => (deliveries.length >= 3 ? true : undefined), 15_000);
      // Give a wrongly delivered inhibited alert the chance to arrive as well.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const delivered = deliveries.map((d) =>
        [
          d.receiver,
          ...d.alerts
            .map((a) => `${a.labels.alertname} ${a.labels.account ?? "-"} ${a.labels.host ?? "-"}`)
            .sort(),
        ].join(" | "),
      );
      expect(delivered.sort()).toEqual([
        "bridge-customers | StoneyBackupQuotaWarning 3 -",
        "bridge-customers | StoneyBackupScheduleMissed 4 a | StoneyBackupTooLongWithoutSuccess 4 b",
        "operators | StoneyBackupMassFailure - -",
      ]);
      for (const delivery of deliveries) expect(delivery.authorization).toBe("Bearer am-test-token");
    });
  },
);

describe.skipIf(!requireBinaries(["prometheus-alertmanager"]))(
  "the clustered Alertmanager pair of docker-compose.yml",
  () => {
    let dir: string;
    let pair: RunningDaemon[] = [];
    let receiver: Awaited<ReturnType<typeof webhookReceiver>> | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "stoney-am-pair-"));
      receiver = await webhookReceiver();
      pair = await startAlertmanagerPair(dir, {
        webhookUrl: receiver.url,
        token: "pair-token",
        waitSeconds: 1,
      });
    }, 60_000);

    afterAll(async () => {
      for (const alertmanager of pair) await alertmanager.stop();
      await receiver?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("forms one cluster of two peers", { timeout: 130_000 }, async () => {
      for (const alertmanager of pair) {
        // A peer settles (gossips until the membership is stable) for a few seconds after it joined.
        await waitFor(
          `a settled cluster of two peers in ${alertmanager.url}/api/v2/status`,
          async () => {
            const body = (await (await fetch(`${alertmanager.url}/api/v2/status`)).json()) as {
              cluster: { status: string; peers: { name: string; address: string }[] };
            };
            return body.cluster.peers.length === 2 && body.cluster.status === "ready";
          },
          60_000,
        );
      }
    });

    it("shares a silence set on one peer with the other", async () => {
      const [first, second] = pair;
      const now = Date.now();
      const created = await fetch(`${first?.url}/api/v2/silences`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          matchers: [{ name: "account", value: "3723707", isRegex: false, isEqual: true }],
          startsAt: new Date(now).toISOString(),
          endsAt: new Date(now + 3_600_000).toISOString(),
          createdBy: "stack test",
          comment: "maintenance",
        }),
      });
      expect(created.status).toBe(200);
      const { silenceID } = (await created.json()) as { silenceID: string };
      await waitFor(
        "the silence on the second peer",
        async () => {
          const silences = (await (await fetch(`${second?.url}/api/v2/silences`)).json()) as { id: string }[];
          return silences.some((s) => s.id === silenceID);
        },
        30_000,
      );
    });

    it("notifies the bridge once for an alert both peers received", { timeout: 60_000 }, async () => {
      const alert = firing("StoneyBackupQuotaWarning", { task: "quota", severity: "warning", account: "42" });
      for (const alertmanager of pair) {
        const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([alert]),
        });
        expect(posted.status).toBe(200);
      }
      const ofAccount = () =>
        (receiver?.deliveries ?? []).filter((d) => d.alerts.some((a) => a.labels.account === "42"));
      await waitFor("the notification", () => ofAccount().length > 0, 30_000);
      // The second peer waits --cluster.peer-timeout (15 s) for the first one's entry in the shared
      // notification log, then stays silent; give it that time and a margin.
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      expect(ofAccount().map((d) => d.receiver)).toEqual(["bridge-customers"]);
    });
  },
);
