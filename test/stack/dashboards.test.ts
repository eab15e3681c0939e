import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBinaries } from "../support/binaries.js";
import type { Dashboard, Variable } from "./dashboards.js";
import {
  allPanels,
  loadDashboards,
  regexValue,
  substitute,
  variableOptions,
  variableQuery,
} from "./dashboards.js";
import { exampleConfig, loopbackBridge } from "./example-config.js";
import { repoRoot, waitFor } from "./processes.js";
import { type Chain, query, startChain, waitForScrapes } from "./servers.js";

const dashboards = loadDashboards();

/**
 * Values an operator would pick on the example, formatted as Grafana interpolates them: an account
 * with two hosts, all its hosts, both resellers (account 3723707 names both, see below), and the
 * one server (set once the exporter listens).
 */
const variableValues: Record<string, string> = {
  account: "3723707",
  host: ".+",
  reseller: regexValue("4000001", "4000002"),
  instance: "",
  __rate_interval: "10s",
  __interval: "1s",
  __range: "1m",
};

const expressions = dashboards.flatMap(({ file, dashboard }) =>
  allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      name: `${file} › ${panel.title} › ${target.expr}`,
      expr: target.expr,
      instant: target.instant === true,
    })),
  ),
);

/** How the dashboards name their datasource: the variable, never a fixed uid. */
const datasource = ["$", "{datasource}"].join("");
const queryVariables = (dashboard: Dashboard) =>
  (dashboard.templating?.list ?? []).filter((v) => v.type === "query");

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
    "%s: panels with gridPos, the datasource a variable",
    (_, dashboard) => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
      const panels = allPanels(dashboard.panels);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const panel of panels) {
        expect(panel.gridPos, panel.title).toBeDefined();
        expect((panel.gridPos?.x ?? 0) + (panel.gridPos?.w ?? 0), panel.title).toBeLessThanOrEqual(24);
        if (panel.type === "row") continue;
        expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: datasource });
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe(datasource);
      }
      for (const variable of queryVariables(dashboard)) {
        expect(variable.datasource?.uid).toBe(datasource);
        expect(variableValues).toHaveProperty(variable.name);
      }
    },
  );

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))(
    "%s: imports into any Grafana (datasource variable) and filters by server",
    (_, dashboard) => {
      const [first, second] = dashboard.templating?.list ?? [];
      // A datasource variable of type prometheus: an import picks any Prometheus, no fixed uid.
      expect(first).toMatchObject({ type: "datasource", name: "datasource", query: "prometheus" });
      expect(second).toMatchObject({
        type: "query",
        name: "instance",
        label: "Server",
        multi: true,
        includeAll: true,
        allValue: ".+",
      });
      expect(JSON.stringify(dashboard)).not.toContain('"uid":"prometheus"');
      // Every exporter series is filtered by the chosen servers; the bridge's are not (another instance).
      for (const panel of allPanels(dashboard.panels))
        for (const target of panel.targets ?? [])
          for (const [selector] of target.expr.matchAll(/\bstoney_backup_(?!bridge_)\w+(\{[^}]*\})?/g))
            expect(selector, `${panel.title}: ${target.expr}`).toContain('instance=~"$instance"');
    },
  );

  it("offers each reseller of accounts that name several, and lets the operator pick several", () => {
    const reseller = dashboards
      .flatMap((d) => d.dashboard.templating?.list ?? [])
      .find((v) => v.name === "reseller");
    expect(reseller).toMatchObject({ multi: true, includeAll: true, allValue: ".*" });
    expect(variableOptions(["4000001", "4000002,4000001", "4000003,4000004"], reseller?.regex)).toEqual([
      "4000001",
      "4000002",
      "4000003",
      "4000004",
    ]);
    // The panels match a reseller as one element of the comma-separated label, never a prefix.
    const dashboard = dashboards.find((d) => d.file === "reseller.json")?.dashboard;
    const exprs = allPanels(dashboard?.panels ?? []).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const matchers = new Set(exprs.flatMap((e) => [...e.matchAll(/reseller=~"([^"]+)"/g)].map((m) => m[1])));
    expect([...matchers]).toHaveLength(1);
    const [matcher = ""] = matchers;
    const matches = (picked: string, label: string) =>
      new RegExp(`^(?:${substitute(matcher, { reseller: picked }).replaceAll("\\\\", "\\")})$`).test(label);
    expect(matches("4000002", "4000001,4000002")).toBe(true);
    expect(matches("4000002", "4000002,4000001")).toBe(true);
    expect(matches(regexValue("4000001", "4000009"), "4000009")).toBe(true);
    expect(matches("4000002", "40000021")).toBe(false);
    expect(matches("4000002", "4000001")).toBe(false);
  });
});

describe.skipIf(!requireBinaries(["prometheus", "prometheus-alertmanager"]))(
  "every dashboard query returns data from a Prometheus that scraped the example",
  () => {
    let dir: string;
    let chain: Chain | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "stoney-dashboards-"));
      const token = "dashboards-test-token";
      // The example directory with one account that names two resellers.
      const ldif = path.join(dir, "directory.ldif");
      writeFileSync(
        ldif,
        readFileSync(path.join(repoRoot, "examples/directory.ldif"), "utf8").replace(
          /^(uid: 3723707)$/m,
          "$1\nsstBelongsToResellerUID: 4000002\nsstBelongsToResellerUID: 4000001",
        ),
      );
      const config = exampleConfig({
        directory: { url: `file:${ldif}` },
        history: { path: path.join(dir, "history.sqlite") },
        exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 1 },
        bridge: loopbackBridge(dir, token),
      });
      chain = await startChain(dir, config, token, new Date("2026-11-26T12:00:00Z"));
      variableValues.instance = regexValue(new URL(chain.exporter.url).host);
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

    const labelValues = async (variable: Variable): Promise<string[]> => {
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(
        substitute(variableQuery(variable), variableValues),
      );
      expect(match, variableQuery(variable)).not.toBeNull();
      const [, selector = "", label = ""] = match ?? [];
      const series = await query(chain?.prometheus.url ?? "", selector);
      return variableOptions(
        series.map((r) => r.metric[label] ?? ""),
        variable.regex,
      );
    };

    it("resolves every template variable to the values the test substitutes", async () => {
      for (const { dashboard } of dashboards)
        for (const variable of queryVariables(dashboard)) {
          const values = await labelValues(variable);
          if (variable.name === "host") expect(values.length).toBeGreaterThan(1);
          else if (variable.name === "reseller")
            expect(values).toEqual(expect.arrayContaining(["4000001", "4000002"]));
          else if (variable.name === "instance")
            expect(values).toEqual([new URL(chain?.exporter.url ?? "").host]);
          else expect(values).toContain(variableValues[variable.name]);
        }
    });

    it("counts an account with two resellers for each of them", async () => {
      const url = chain?.prometheus.url ?? "";
      const info = await query(url, "stoney_backup_account_info");
      expect(info.find((r) => r.metric.account === "3723707")?.metric.reseller).toBe("4000002,4000001");
      const dashboard = dashboards.find((d) => d.file === "reseller.json")?.dashboard;
      const accounts = allPanels(dashboard?.panels ?? [])
        .flatMap((p) => (p.targets ?? []).map((t) => t.expr))
        .find((e) => e.startsWith("count(stoney_backup_account_info{"));
      expect(accounts).toBeDefined();
      for (const reseller of ["4000001", "4000002"]) {
        const expected = info.filter((r) => (r.metric.reseller ?? "").split(",").includes(reseller)).length;
        const [count] = await query(url, substitute(accounts ?? "", { ...variableValues, reseller }));
        expect(Number(count?.value?.[1]), reseller).toBe(expected);
      }
    });

    it.each(expressions)("$name", async ({ expr, instant }) => {
      const substituted = substitute(expr, variableValues);
      const result = await query(chain?.prometheus.url ?? "", substituted, instant ? undefined : 30);
      expect(result.length, `no data for ${substituted}`).toBeGreaterThan(0);
    });
  },
);
