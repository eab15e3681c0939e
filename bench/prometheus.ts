import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { loadConfig } from "../src/config/index.js";
import { startExporter } from "../src/exporter/index.js";
import { createLogger } from "../src/log.js";
import { findBinary } from "../test/support/binaries.js";
import { freePort, repoRoot, waitFor } from "../test/support/common.js";
import { generateServer } from "./synthetic.js";

/**
 * Prometheus sizing, measured (docs/sizing.md): a synthetic backup server of N accounts, the exporter
 * on it, and a real Prometheus with the shipped rules scraping it. Reports the series of one scrape
 * per account and per host (by family), then Prometheus' head series and resident memory after a
 * few scrapes. Run by hand: `npx tsx bench/prometheus.ts [accounts] [scrapes]`.
 */

const accounts = Number(process.argv[2] ?? 10_000);
const scrapes = Number(process.argv[3] ?? 8);
const scrapeSeconds = 10;

const prometheusBinary = findBinary("prometheus");
if (!prometheusBinary) throw new Error("prometheus is not installed (apt-get install prometheus)");

/** Samples of a text exposition by metric name (the name before `{` or the space). */
const seriesByFamily = (text: string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? "";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
};

/** One sample of Prometheus' own /metrics. */
const selfMetric = async (url: string, name: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1]);
};

const dir = mkdtempSync(path.join(tmpdir(), "stoney-bench-prometheus-"));
const logger = createLogger("silent");
let prometheus: ChildProcess | undefined;
try {
  process.stderr.write(`prometheus: generating ${accounts} accounts ...\n`);
  const { backupRoot, ldifFile } = generateServer(dir, accounts);
  const configFile = path.join(dir, "config.yaml");
  writeFileSync(
    configFile,
    stringify({
      directory: { url: `file:${ldifFile}` },
      backup: { root: backupRoot },
      history: { path: path.join(dir, "history.sqlite") },
      exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 60 },
    }),
  );
  const exporter = await startExporter(loadConfig(configFile), logger);
  await waitFor(
    "the first collection",
    async () => (await fetch(`${exporter.url}/readyz`)).ok,
    30 * 60_000,
    500,
  );
  const scrape = await (await fetch(`${exporter.url}/metrics`)).text();
  const families = seriesByFamily(scrape);
  const hosts = families.get("stoney_backup_consecutive_failures") ?? 0;
  // Inactive accounts of the synthetic directory are not exported.
  const exported = families.get("stoney_backup_account_info") ?? 0;
  const accountSeries = [...families]
    .filter(([name]) => name.startsWith("stoney_backup_") && !name.startsWith("stoney_backup_collector_"))
    .reduce((sum, [, n]) => sum + n, 0);
  const total = [...families.values()].reduce((a, b) => a + b, 0);

  const rulesDir = path.join(repoRoot, "prometheus/rules");
  const ruleFiles = readdirSync(rulesDir)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => path.join(rulesDir, f));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const promConfig = path.join(dir, "prometheus.yml");
  writeFileSync(
    promConfig,
    stringify({
      global: { scrape_interval: `${scrapeSeconds}s`, evaluation_interval: `${scrapeSeconds}s` },
      rule_files: ruleFiles,
      scrape_configs: [
        {
          job_name: "stoney-backup-exporter",
          scrape_timeout: `${scrapeSeconds}s`,
          static_configs: [{ targets: [new URL(exporter.url).host] }],
        },
      ],
    }),
  );
  mkdirSync(path.join(dir, "tsdb"));
  prometheus = spawn(
    prometheusBinary,
    [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=error",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  process.stderr.write(`prometheus: ${scrapes} scrapes every ${scrapeSeconds} s ...\n`);
  await waitFor(
    `${scrapes} scrapes`,
    async () => {
      const query = encodeURIComponent('count_over_time(up{job="stoney-backup-exporter"}[1h])');
      const body = (await (await fetch(`${url}/api/v1/query?query=${query}`)).json()) as {
        data?: { result: { value: [number, string] }[] };
      };
      return Number(body.data?.result[0]?.value[1] ?? 0) >= scrapes;
    },
    (scrapes + 6) * scrapeSeconds * 1000,
    1000,
  );
  const headSeries = await selfMetric(url, "prometheus_tsdb_head_series");
  const rss = await selfMetric(url, "process_resident_memory_bytes");
  const heap = await selfMetric(url, "go_memstats_heap_inuse_bytes");
  await exporter.close();

  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  const perFamily = [...families]
    .filter(([name]) => name.startsWith("stoney_backup_") && !name.startsWith("stoney_backup_collector_"))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `| \`${name}\` | ${n} |`);
  console.log(`## Prometheus on ${exported} exported synthetic accounts (${hosts} hosts)

| family | series |
|---|---|
${perFamily.join("\n")}

| measure | value |
|---|---|
| series of one scrape (all) | ${total} |
| account and host series | ${accountSeries} |
| series per account | ${(accountSeries / exported).toFixed(1)} |
| hosts per account | ${(hosts / exported).toFixed(2)} |
| Prometheus head series after ${scrapes} scrapes (with its own and the rules' series) | ${headSeries} |
| Prometheus RSS after ${scrapes} scrapes | ${mib(rss)} MiB |
| Prometheus Go heap in use | ${mib(heap)} MiB |
| RSS per head series | ${((rss / headSeries) | 0).toLocaleString("en")} bytes |
`);
} finally {
  if (prometheus && prometheus.exitCode === null) {
    const exited = once(prometheus, "exit");
    prometheus.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
