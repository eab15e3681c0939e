import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { repoRoot } from "./processes.js";

/**
 * The shipped Prometheus and Alertmanager files, loaded and rewritten only where a test must:
 * target URLs, file paths, intervals and `for:` durations. Everything else (expressions, labels,
 * annotations, routing, inhibition) is exactly what an operator deploys.
 */

interface RuleFile {
  groups: { name: string; interval?: string; rules: Record<string, unknown>[] }[];
}

export const ruleFileNames = (): string[] =>
  ["customers.yml", "operators.yml"].map((f) => path.join(repoRoot, "prometheus/rules", f));

/** The rule files with every `for:` and `keep_firing_for:` shortened, so alerts fire and resolve within seconds. */
export function fastRules(): { name: string; text: string }[] {
  return ruleFileNames().map((file) => {
    const rules = parse(readFileSync(file, "utf8")) as RuleFile;
    for (const group of rules.groups)
      for (const rule of group.rules) {
        if ("for" in rule) rule.for = "0s";
        if ("keep_firing_for" in rule) delete rule.keep_firing_for;
      }
    return { name: path.basename(file), text: stringify(rules) };
  });
}

interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  static_configs: { targets: string[] }[];
}

/** prometheus.yml with short intervals and the targets replaced (jobs not given are dropped). */
export function prometheusConfig(options: {
  targets: Record<string, string | string[]>;
  alertmanager?: string;
  ruleFiles: string[];
  intervalSeconds: number;
}): string {
  const config = parse(readFileSync(path.join(repoRoot, "prometheus/prometheus.yml"), "utf8")) as {
    global: Record<string, string>;
    rule_files: string[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    scrape_configs: ScrapeConfig[];
  };
  const interval = `${options.intervalSeconds}s`;
  config.global.scrape_interval = interval;
  config.global.evaluation_interval = interval;
  config.rule_files = options.ruleFiles;
  if (options.alertmanager)
    config.alerting.alertmanagers = [{ static_configs: [{ targets: [options.alertmanager] }] }];
  else delete (config as { alerting?: unknown }).alerting;
  config.scrape_configs = config.scrape_configs
    .filter((job) => options.targets[job.job_name] !== undefined)
    .map((job) => ({
      ...job,
      scrape_interval: interval,
      scrape_timeout: interval,
      static_configs: [{ targets: [options.targets[job.job_name] ?? []].flat() }],
    }));
  return stringify(config);
}

interface WebhookConfig {
  url: string;
  http_config?: { authorization?: { credentials_file?: string } };
}

/** alertmanager.yml with every webhook pointed at `webhookUrl`, the token file replaced and short waits. */
export function alertmanagerConfig(options: {
  webhookUrl: string;
  tokenFile: string;
  waitSeconds: number;
}): string {
  const config = parse(readFileSync(path.join(repoRoot, "alertmanager/alertmanager.yml"), "utf8")) as {
    route: Record<string, unknown> & { routes?: Record<string, unknown>[] };
    receivers: { name: string; webhook_configs?: WebhookConfig[] }[];
  };
  const wait = `${options.waitSeconds}s`;
  for (const route of [config.route, ...(config.route.routes ?? [])]) {
    route.group_wait = wait;
    route.group_interval = wait;
  }
  for (const receiver of config.receivers)
    for (const webhook of receiver.webhook_configs ?? []) {
      webhook.url = options.webhookUrl;
      const authorization = webhook.http_config?.authorization;
      if (authorization?.credentials_file) authorization.credentials_file = options.tokenFile;
    }
  return stringify(config);
}
