import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBridge, startBridge } from "../../src/bridge/index.js";
import { type RunningExporter, startExporter } from "../../src/exporter/index.js";
import { createLogger } from "../../src/log.js";
import { requireBinaries } from "../support/binaries.js";
import { exampleBackupRoot } from "../support/common.js";
import { exampleConfig, loopbackBridge } from "./example-config.js";
import { waitFor } from "./processes.js";
import { query, type RunningDaemon, startAlertmanager, startPrometheus } from "./servers.js";

interface PrometheusAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
}

/**
 * Two backup servers sharing the example directory, each with its own exporter (onlyAccountsWithHome),
 * scraped by one Prometheus with the shipped rules, alerting through Alertmanager to the bridge. The
 * failing account 3723703 moves from the first server to the second the way an operator moves a
 * home: copied, then removed from the old server.
 */
describe.skipIf(!requireBinaries(["prometheus", "prometheus-alertmanager"]))(
  "an account that moves to another backup server",
  () => {
    const account = "3723703";
    const now = new Date("2026-11-26T12:00:00Z");
    let dir: string;
    const roots = { first: "", second: "" };
    const exporters: RunningExporter[] = [];
    let prometheus: RunningDaemon | undefined;
    let alertmanager: RunningDaemon | undefined;
    let bridge: RunningBridge | undefined;
    let instances: string[] = [];

    const alertsOf = async (): Promise<PrometheusAlert[]> => {
      const body = (await (await fetch(`${prometheus?.url}/api/v1/alerts`)).json()) as {
        data: { alerts: PrometheusAlert[] };
      };
      // What Alertmanager tells apart: the labels (fingerprint), and whether and since when it fires.
      return body.data.alerts
        .filter((a) => a.labels.alertname === "StoneyBackupUnsuccessful" && a.labels.account === account)
        .map(({ labels, state, activeAt }) => ({ labels, state, activeAt }));
    };
    const exportedBy = async (): Promise<string[]> =>
      (await query(prometheus?.url ?? "", `stoney_backup_account_info{account="${account}"}`))
        .map((r) => r.metric.instance ?? "")
        .sort();

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "stoney-move-"));
      roots.first = path.join(dir, "backup1");
      roots.second = path.join(dir, "backup2");
      cpSync(exampleBackupRoot, roots.first, { recursive: true, preserveTimestamps: true });
      mkdirSync(roots.second);
      for (const [name, root] of Object.entries(roots)) {
        const config = exampleConfig({
          backup: { root, onlyAccountsWithHome: true },
          history: { path: path.join(dir, `${name}-history.sqlite`) },
          exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 1 },
        });
        exporters.push(await startExporter(config, createLogger("silent"), { now: () => now }));
      }
      instances = exporters.map((e) => new URL(e.url).host);
      const token = "move-test-token";
      const config = exampleConfig({
        bridge: loopbackBridge(dir, token),
      });
      bridge = await startBridge(config, createLogger("silent"));
      alertmanager = await startAlertmanager(path.join(dir, "alertmanager"), {
        webhookUrl: `${bridge.url}${config.bridge.webhookPath}`,
        token,
        waitSeconds: 1,
      });
      prometheus = await startPrometheus(path.join(dir, "prometheus"), {
        targets: { "stoney-backup-exporter": instances },
        alertmanager: alertmanager.address,
        intervalSeconds: 1,
      });
    }, 60_000);

    afterAll(async () => {
      await prometheus?.stop();
      await alertmanager?.stop();
      await bridge?.close();
      for (const exporter of exporters) await exporter.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("is exported by the server that holds its home only, without errors on the other", async () => {
      await waitFor(
        "a collection of both servers, scraped",
        async () => (await query(prometheus?.url ?? "", "stoney_backup_collector_up == 1")).length === 2,
        30_000,
      );
      await waitFor("the account on the first server", async () => (await exportedBy()).length > 0, 30_000);
      expect(await exportedBy()).toEqual([instances[0]]);
      const [second] = await query(
        prometheus?.url ?? "",
        `stoney_backup_collector_accounts{instance="${instances[1]}"}`,
      );
      expect(second?.value?.[1]).toBe("0");
      const errors = await query(
        prometheus?.url ?? "",
        'sum(stoney_backup_collector_errors_total{stage="account"})',
      );
      expect(errors[0]?.value?.[1]).toBe("0");
    });

    it("keeps its failure alert, same labels and same start, while its home moves", async () => {
      const [before] = await waitFor(
        "the failure alert firing",
        async () => {
          const alerts = await alertsOf();
          return alerts.length === 1 && alerts[0]?.state === "firing" ? alerts : undefined;
        },
        30_000,
      );
      expect(before?.labels).not.toHaveProperty("instance");
      // What the bridge did about the account's failure: one warning per recipient (sent or suppressed).
      const told = async () =>
        ((await bridge?.outbox.history(account, 1000)) ?? [])
          .filter((row) => row.task === "unsuccessful")
          .map((row) => `${row.audience} ${row.recipient} ${row.status} ${row.outcome}`)
          .sort();
      const warned = await waitFor(
        "the bridge's warning, routed and sent",
        async () => {
          const rows = await told();
          return (
            rows.some((row) => row.endsWith(" sent")) && !rows.some((row) => row.includes("waiting")) && rows
          );
        },
        30_000,
      );

      cpSync(path.join(roots.first, account), path.join(roots.second, account), {
        recursive: true,
        preserveTimestamps: true,
      });
      await waitFor("both servers exporting it", async () => (await exportedBy()).length === 2, 30_000);
      expect(await alertsOf()).toEqual([before]);

      rmSync(path.join(roots.first, account), { recursive: true });
      await waitFor(
        "only the second server exporting it",
        async () => (await exportedBy()).join() === instances[1],
        30_000,
      );
      // A few more evaluations on the new server alone.
      const evaluations = async () =>
        (await (await fetch(`${prometheus?.url}/metrics`)).text())
          .split("\n")
          .filter((line) => line.startsWith("prometheus_rule_evaluations_total{"))
          .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
      const seen = await evaluations();
      await waitFor("three more rule evaluations", async () => (await evaluations()) >= seen + 3, 30_000);
      expect(await alertsOf()).toEqual([before]);
      // Alertmanager's group interval (1 s here) passed several times: a changed alert would have been
      // notified by now, as "resolved" plus a new warning.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await told()).toEqual(warned);
    }, 120_000);
  },
);
