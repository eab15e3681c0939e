import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBinaries } from "../support/binaries.js";
import { allPanels, loadDashboards, substitute, variableQuery } from "./dashboards.js";
import { exampleConfig } from "./example-config.js";
import { waitFor } from "./processes.js";
import { type Chain, query, startChain, waitForScrapes } from "./servers.js";

const dashboards = loadDashboards();

/** Values an operator would pick on the example: an account with two hosts, a reseller with four accounts. */
const variableValues: Record<string, string> = {
  account: "3723707",
  host: ".+",
  reseller: "4000001",
  __rate_interval: "10s",
  __interval: "1s",
  __range: "1m",
};

const expressions = dashboards.flatMap(({ file, dashboard }) =>
  allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      name: `${file} › ${panel.title} › ${target.expr}`,
      expr: substitute(target.expr, variableValues),
      instant: target.instant === true,
    })),
  ),
);

describe("Grafana dashboards are valid provisioned dashboards", () => {
  it("has the four dashboards with unique uids", () => {
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual([
      "stoney-backup-account",
      "stoney-backup-fleet",
      "stoney-backup-monitoring",
      "stoney-backup-reseller",
    ]);
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))(
    "%s: panels with gridPos, datasource by uid",
    (_, dashboard) => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
      const panels = allPanels(dashboard.panels);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const panel of panels) {
        expect(panel.gridPos, panel.title).toBeDefined();
        expect((panel.gridPos?.x ?? 0) + (panel.gridPos?.w ?? 0), panel.title).toBeLessThanOrEqual(24);
        if (panel.type === "row") continue;
        expect(panel.datasource?.uid, panel.title).toBe("prometheus");
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe("prometheus");
      }
      for (const variable of dashboard.templating?.list ?? []) {
        expect(variable.datasource?.uid).toBe("prometheus");
        expect(variableValues).toHaveProperty(variable.name);
      }
    },
  );
});

describe.skipIf(!requireBinaries(["prometheus", "prometheus-alertmanager"]))(
  "every dashboard query returns data from a Prometheus that scraped the example",
  () => {
    let dir: string;
    let chain: Chain | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "stoney-dashboards-"));
      const token = "dashboards-test-token";
      const config = exampleConfig({
        history: { path: path.join(dir, "history.sqlite") },
        exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 1 },
        bridge: {
          listen: { host: "127.0.0.1", port: 0 },
          auth: { bearerToken: token },
          outbox: path.join(dir, "outbox.sqlite"),
          coalesceSeconds: 0,
          smtp: { url: `file:${path.join(dir, "mail")}` },
          operators: ["ops@example.org"],
        },
      });
      chain = await startChain(dir, config, token, new Date("2026-11-26T12:00:00Z"));
      const url = chain.prometheus.url;
      await waitForScrapes(
        url,
        ["stoney-backup-exporter", "stoney-backup-bridge", "alertmanager"],
        3,
        20_000,
      );
      // The rules fire on the example, Alertmanager notifies the bridge, the bridge mails: every
      // bridge counter then has data (the suppressed counter only has series once something was suppressed).
      await waitFor(
        "mails sent and suppressed by the bridge, scraped",
        async () => {
          const sent = await query(url, "stoney_backup_bridge_mails_sent_total > 0");
          const suppressed = await query(url, "stoney_backup_bridge_mails_suppressed_total");
          const histogram = await query(url, "stoney_backup_bridge_smtp_send_duration_seconds_count > 0");
          return sent.length && suppressed.length && histogram.length ? true : undefined;
        },
        40_000,
      );
      // A few more scrapes so rate() over the dashboards' windows sees the increase.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }, 90_000);

    afterAll(async () => {
      await chain?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("resolves every template variable to the values the test substitutes", async () => {
      for (const { dashboard } of dashboards)
        for (const variable of dashboard.templating?.list ?? []) {
          const match = /^label_values\((.+),\s*(\w+)\)$/.exec(
            substitute(variableQuery(variable), variableValues),
          );
          expect(match, variableQuery(variable)).not.toBeNull();
          const [, selector = "", label = ""] = match ?? [];
          const values = new Set(
            (await query(chain?.prometheus.url ?? "", selector)).map((r) => r.metric[label]),
          );
          if (variable.name === "host") expect(values.size).toBeGreaterThan(1);
          else expect(values).toContain(variableValues[variable.name]);
        }
    });

    it.each(expressions)("$name", async ({ expr, instant }) => {
      const result = await query(chain?.prometheus.url ?? "", expr, instant ? undefined : 30);
      expect(result.length, `no data for ${expr}`).toBeGreaterThan(0);
    });
  },
);
