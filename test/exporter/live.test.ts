import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningExporter } from "../../src/exporter/index.js";
import { type Daemon, freePort, startDaemon, waitFor } from "../stack/processes.js";
import { requireBinaries } from "../support/binaries.js";
import { type Slapd, startSlapd } from "../support/slapd.js";
import { select, seriesValue } from "./exposition.js";
import { removeTempDirs, scrape, startOnExamples, tempDir, testConfig } from "./support.js";

describe.skipIf(!requireBinaries(["slapd", "slapadd"]))("exporter on a real slapd that goes away", () => {
  let slapd: Slapd;
  let exporter: RunningExporter;

  beforeAll(async () => {
    slapd = await startSlapd();
    exporter = await startOnExamples(
      testConfig({
        // No directory cache: every collection asks the server.
        directory: { ...slapd.configFor(), cacheTtlSeconds: 0 },
        exporter: { intervalSeconds: 0.3 },
      }),
    );
  });

  afterAll(async () => {
    await exporter?.close();
    await slapd?.dispose();
    removeTempDirs();
  });

  it("reports collector_up 0 while serving the last good data, and recovers", async () => {
    const before = await waitFor("collector_up 1", async () => {
      const { series } = await scrape(exporter.url);
      return seriesValue(series, "stoney_backup_collector_up") === 1 ? series : undefined;
    });
    expect(select(before, "stoney_backup_account_info")).toHaveLength(9);
    const lastSuccess = seriesValue(before, "stoney_backup_collector_last_success_timestamp_seconds");

    await slapd.stop();
    const during = await waitFor("collector_up 0", async () => {
      const { series } = await scrape(exporter.url);
      return seriesValue(series, "stoney_backup_collector_up") === 0 ? series : undefined;
    });
    expect(
      seriesValue(during, "stoney_backup_collector_errors_total", { stage: "directory" }),
    ).toBeGreaterThan(0);
    expect(select(during, "stoney_backup_account_info")).toHaveLength(9);
    expect(
      seriesValue(during, "stoney_backup_missed_schedules", { account: "3723704", host: "MacBook-Zoe" }),
    ).toBe(5);
    expect(seriesValue(during, "stoney_backup_collector_last_success_timestamp_seconds")).toBe(lastSuccess);
    expect((await fetch(`${exporter.url}/readyz`)).status).toBe(200);

    await slapd.start();
    await waitFor("collector_up 1 again", async () => {
      const { series } = await scrape(exporter.url);
      return seriesValue(series, "stoney_backup_collector_up") === 1 ? true : undefined;
    });
  });
});

interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf(!requireBinaries(["prometheus"]))("Prometheus scraping the exporter", () => {
  let exporter: RunningExporter;
  let prometheus: Daemon;
  let prometheusUrl: string;

  const query = async (expr: string): Promise<QueryResult[]> => {
    const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await response.json()) as { status: string; data: { result: QueryResult[] } };
    expect(body.status).toBe("success");
    return body.data.result;
  };

  beforeAll(async () => {
    const dir = tempDir();
    const passwordFile = path.join(dir, "scrape-password");
    writeFileSync(passwordFile, "scrape secret\n");
    exporter = await startOnExamples(
      testConfig({ exporter: { basicAuth: { username: "prometheus", passwordFile } } }),
    );
    const address = new URL(exporter.url).host;
    const config = path.join(dir, "prometheus.yml");
    writeFileSync(
      config,
      `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: stoney-backup
    basic_auth: { username: prometheus, password_file: ${passwordFile} }
    static_configs: [{ targets: ["${address}"] }]
`,
    );
    const listen = `127.0.0.1:${await freePort()}`;
    prometheusUrl = `http://${listen}`;
    prometheus = await startDaemon(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
        `--web.listen-address=${listen}`,
        "--log.level=warn",
      ],
      `${prometheusUrl}/-/ready`,
    );
  });

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
    removeTempDirs();
  });

  it("ingests the metric contract (gzip, basic auth) and answers queries with the example values", async () => {
    await waitFor("Prometheus to scrape the exporter", async () => {
      const up = await query('up{job="stoney-backup"} == 1 and on() stoney_backup_collector_up == 1');
      return up.length === 1 ? true : undefined;
    });
    const value = async (expr: string) => (await query(expr)).map((r) => Number(r.value[1]));
    expect(await value("count(stoney_backup_account_info)")).toEqual([9]);
    expect(await value('stoney_backup_missed_schedules{account="3723704"}')).toEqual([5]);
    expect(await value('stoney_backup_quota_used_ratio{account="3723701"}')).toEqual([0.3]);
    const running = await query('stoney_backup_last_run_status{status="running"}');
    expect(running.map((r) => [r.metric.account, r.metric.host])).toEqual([["3723707", "büro-pc"]]);
    const schedule = await query('stoney_backup_schedule_info{account="3723701"}');
    expect(schedule.map((r) => r.metric.cron)).toEqual(["30 19 * * 1,3,5"]);
    expect(await value('stoney_backup_collector_errors_total{stage="account"}')).toEqual([0]);
  });
});
