import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type RunningBridge, startBridge } from "../../src/bridge/index.js";
import type { Config } from "../../src/config/index.js";
import { type RunningExporter, startExporter } from "../../src/exporter/index.js";
import { createLogger } from "../../src/log.js";
import { composeServices } from "./compose.js";
import { type Daemon, freePort, startDaemon, waitFor } from "./processes.js";
import { alertmanagerConfig, fastRules, prometheusConfig } from "./stack-config.js";

export interface RunningDaemon extends Daemon {
  url: string;
  address: string;
}

/**
 * Debian's prometheus on a free loopback port, scraping `targets` (job name → host:port, or several) every
 * `intervalSeconds` with the shipped rules (`for:` shortened) and alerting to `alertmanager`.
 */
export async function startPrometheus(
  dir: string,
  options: { targets: Record<string, string | string[]>; alertmanager?: string; intervalSeconds: number },
): Promise<RunningDaemon> {
  const rulesDir = path.join(dir, "rules");
  mkdirSync(rulesDir, { recursive: true });
  const ruleFiles = fastRules().map(({ name, text }) => {
    const file = path.join(rulesDir, name);
    writeFileSync(file, text);
    return file;
  });
  const config = path.join(dir, "prometheus.yml");
  writeFileSync(config, prometheusConfig({ ...options, ruleFiles }));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const daemon = await startDaemon(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
      `--web.listen-address=${address}`,
      // Send firing alerts to Alertmanager at every evaluation, not once a minute.
      "--rules.alert.resend-delay=1s",
      "--log.level=warn",
    ],
    `${url}/-/ready`,
  );
  return { ...daemon, url, address };
}

/**
 * Debian's prometheus-alertmanager with the shipped configuration, its webhooks pointed at `webhookUrl`;
 * alone unless `cluster` gives its `--cluster.*` flags.
 */
export async function startAlertmanager(
  dir: string,
  options: { webhookUrl: string; token: string; waitSeconds: number; cluster?: string[] },
): Promise<RunningDaemon> {
  mkdirSync(dir, { recursive: true });
  const tokenFile = path.join(dir, "bridge-token");
  writeFileSync(tokenFile, `${options.token}\n`);
  const config = path.join(dir, "alertmanager.yml");
  writeFileSync(
    config,
    alertmanagerConfig({ webhookUrl: options.webhookUrl, tokenFile, waitSeconds: options.waitSeconds }),
  );
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const url = `http://${address}`;
  const daemon = await startDaemon(
    "prometheus-alertmanager",
    [
      `--config.file=${config}`,
      `--storage.path=${path.join(dir, "data")}`,
      `--web.listen-address=${address}`,
      ...(options.cluster ?? ["--cluster.listen-address="]),
      "--log.level=warn",
    ],
    `${url}/-/ready`,
  );
  return { ...daemon, url, address };
}

/**
 * The clustered Alertmanager pair of docker-compose.yml (alertmanager-1 and -2), each with the shipped
 * configuration and its compose service's own `--cluster.*` flags, the container addresses mapped to
 * loopback ports. Its members gossip; wait for `cluster.status` "ready" in /api/v2/status where it matters.
 */
export async function startAlertmanagerPair(
  dir: string,
  options: { webhookUrl: string; token: string; waitSeconds: number },
): Promise<RunningDaemon[]> {
  const names = ["alertmanager-1", "alertmanager-2"];
  const gossip = new Map<string, string>();
  for (const name of names) gossip.set(name, `127.0.0.1:${await freePort()}`);
  const clusterFlags = (name: string) =>
    (composeServices()[name]?.command ?? [])
      .filter((flag) => flag.startsWith("--cluster."))
      .map((flag) =>
        flag
          .replace(/^(--cluster\.listen-address=)0\.0\.0\.0:9094$/, `$1${gossip.get(name)}`)
          .replace(/^(--cluster\.peer=)([\w-]+):9094$/, (whole, option: string, peer: string) =>
            gossip.has(peer) ? `${option}${gossip.get(peer)}` : whole,
          ),
      );
  const pair: RunningDaemon[] = [];
  try {
    for (const name of names)
      pair.push(await startAlertmanager(path.join(dir, name), { ...options, cluster: clusterFlags(name) }));
  } catch (error) {
    for (const alertmanager of pair) await alertmanager.stop();
    throw error;
  }
  return pair;
}

export interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** Run a PromQL query through the HTTP API (instant, or a range over the last `rangeSeconds`). */
export async function query(
  prometheusUrl: string,
  expr: string,
  rangeSeconds?: number,
): Promise<PromResult[]> {
  const params = new URLSearchParams({ query: expr });
  let endpoint = "query";
  if (rangeSeconds !== undefined) {
    const end = Date.now() / 1000;
    params.set("start", String(end - rangeSeconds));
    params.set("end", String(end));
    params.set("step", "1");
    endpoint = "query_range";
  }
  const response = await fetch(`${prometheusUrl}/api/v1/${endpoint}?${params}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error ?? response.status}`);
  return body.data?.result ?? [];
}

/** Wait until every scrape job is up and has at least `samples` samples. */
export async function waitForScrapes(
  prometheusUrl: string,
  jobs: string[],
  samples: number,
  timeoutMs: number,
) {
  await waitFor(
    `${samples} scrapes of ${jobs.join(", ")}`,
    async () => {
      const result = await query(prometheusUrl, `count_over_time(up[5m]) >= ${samples} and up == 1`);
      const ready = new Set(result.map((r) => r.metric.job));
      return jobs.every((job) => ready.has(job)) ? true : undefined;
    },
    timeoutMs,
  );
}

/** The loopback chain: exporter and bridge in this process, Alertmanager and Prometheus as daemons. */
export interface Chain {
  exporter: RunningExporter;
  bridge: RunningBridge;
  alertmanager: RunningDaemon;
  prometheus: RunningDaemon;
  /** Stop whatever runs, Prometheus first. */
  stop(): Promise<void>;
}

/**
 * Start exporter and bridge from `config` (the exporter's clock fixed at `now`), Alertmanager
 * notifying the bridge with `token`, and Prometheus scraping all three every second and alerting
 * to Alertmanager; the daemons keep their state under `dir`. A failed start stops what had started.
 */
export async function startChain(dir: string, config: Config, token: string, now: Date): Promise<Chain> {
  const logger = createLogger("silent");
  const parts: Partial<Omit<Chain, "stop">> = {};
  const stop = async () => {
    await parts.prometheus?.stop();
    await parts.alertmanager?.stop();
    await parts.bridge?.close();
    await parts.exporter?.close();
  };
  try {
    const exporter = await startExporter(config, logger, { now: () => now });
    parts.exporter = exporter;
    const bridge = await startBridge(config, logger);
    parts.bridge = bridge;
    const alertmanager = await startAlertmanager(path.join(dir, "alertmanager"), {
      webhookUrl: `${bridge.url}${config.bridge.webhookPath}`,
      token,
      waitSeconds: 1,
    });
    parts.alertmanager = alertmanager;
    const prometheus = await startPrometheus(path.join(dir, "prometheus"), {
      targets: {
        "stoney-backup-exporter": new URL(exporter.url).host,
        "stoney-backup-bridge": new URL(bridge.url).host,
        alertmanager: alertmanager.address,
      },
      alertmanager: alertmanager.address,
      intervalSeconds: 1,
    });
    return { exporter, bridge, alertmanager, prometheus, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
