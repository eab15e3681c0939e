import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { type Config, configSchema } from "../src/config/index.js";
import { startDaemon } from "../test/stack/processes.js";
import { freePort } from "../test/support/common.js";
import { benchDirectory, type ChildMessage, countingSink, directoryAccounts, forkBridge } from "./bridge.js";
import { median, type ProfileEntry, topOfProfile } from "./exporter.js";

/**
 * The bridge against its peer, Alertmanager's own email receiver, on one burst: 10,000 alerts for
 * 2,000 accounts (a quota alert per account and two hosts each with a missed schedule and a failed
 * backup), grouped by account and task as the shipped route does: 6,000 groups, so 6,000 mails from
 * Alertmanager or 6,000 webhook payloads to the bridge, which coalesces them per recipient (one mail
 * per customer, one per reseller). Each case runs against a fresh real `prometheus-alertmanager`
 * and the same SMTP sink; time runs from the first alert posted to the last mail taken.
 */

const accounts = 2000;
const resellers = 200;
const windowSeconds = 5;
const groups = accounts * 3;

export type PeerCase = "alertmanager email" | "bridge via alertmanager" | "bridge direct";

export interface PeerRun {
  case: PeerCase;
  run: number;
  seconds: number;
  mails: number;
  /** 1-minute load average at the start and at the end of the run. */
  load: [number, number];
  /** The bridge's stages, from its outbox (bridge cases). */
  phases?: BridgePhases;
  /** CPU seconds (user + system) of each process during the run. */
  cpu: { alertmanager?: number; bridge?: number };
  /** The bridge's searches and the entries slapd returned to them (bridge cases). */
  directory?: { searches: number; entries: number };
}

/** Seconds from the burst's first post until the last of each: what the bridge spent its time on. */
export interface BridgePhases {
  accepted: number;
  routed: number;
  composed: number;
  sent: number;
  /** Median over the alerts of the seconds from their payload's acceptance until they were routed. */
  routingLag: number;
}

/** The phases from a stopped bridge's outbox file; `started` is the burst's first post (Unix ms). */
function outboxPhases(file: string, started: number): BridgePhases {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(
        `SELECT (SELECT MAX(received_at) FROM notifications) AS accepted,
          (SELECT MAX(created_at) FROM items) AS routed,
          (SELECT MAX(created_at) FROM mails) AS composed,
          (SELECT MAX(finished_at) FROM mails WHERE state = 'sent') AS sent`,
      )
      .get() as Record<keyof BridgePhases, number | null>;
    const at = (ms: number | null) => (ms === null ? Number.NaN : (ms - started) / 1000);
    const lags = (
      db
        .prepare(
          `SELECT MIN(items.created_at) - alerts.received_at AS lag
           FROM alerts JOIN items ON items.alert_id = alerts.id GROUP BY alerts.id`,
        )
        .all() as Array<{ lag: number }>
    ).map((r) => r.lag / 1000);
    return {
      accepted: at(row.accepted),
      routed: at(row.routed),
      composed: at(row.composed),
      sent: at(row.sent),
      routingLag: lags.length > 0 ? median(lags) : Number.NaN,
    };
  } finally {
    db.close();
  }
}

const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's CPU seconds so far (utime + stime from /proc), NaN when it cannot be read. */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is the first, utime the 12th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

/** The burst as Alertmanager's API takes it. */
export function burstAlerts(now = Date.now()) {
  const startsAt = new Date(now - 3600_000).toISOString();
  const endsAt = new Date(now + 3600_000).toISOString();
  const alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string> }> = [];
  for (let a = 0; a < accounts; a++) {
    const account = String(3000000 + a);
    alerts.push({
      labels: { alertname: "StoneyBackupQuotaWarning", task: "quota", severity: "warning", account },
      annotations: {
        summary: `Backup account ${account} uses 93% of its quota`,
        used_ratio: "0.9300",
        used_bytes: "9990000000",
        quota_bytes: "10737418240",
        warning_ratio: "0.8500",
      },
    });
    for (const host of [`pc-${a}`, `nas-${a}`]) {
      alerts.push({
        labels: {
          alertname: "StoneyBackupScheduleMissed",
          task: "schedule",
          severity: "warning",
          account,
          host,
        },
        annotations: {
          summary: `Backup of ${host} (account ${account}) missed 3 planned runs`,
          missed_schedules: "3",
          threshold: "2",
          last_success_timestamp: "1763667000",
        },
      });
      alerts.push({
        labels: {
          alertname: "StoneyBackupUnsuccessful",
          task: "unsuccessful",
          severity: "warning",
          account,
          host,
        },
        annotations: {
          summary: `Backup of ${host} (account ${account}) failed 2 times in a row`,
          consecutive_failures: "2",
          threshold: "1",
          last_success_timestamp: "1763667000",
        },
      });
    }
  }
  return alerts.map((alert) => ({
    ...alert,
    startsAt,
    endsAt,
    generatorURL: "http://prometheus.example/graph",
  }));
}

type Receiver = { email: { smarthost: string } } | { webhook: { url: string } };

function alertmanagerYaml(receiver: Receiver): string {
  const target =
    "email" in receiver
      ? `    email_configs:
      - to: "{{ .CommonLabels.account }}@customer.example"
        from: alertmanager@backup.example
        smarthost: ${receiver.email.smarthost}
        require_tls: false
        send_resolved: false`
      : `    webhook_configs:
      - url: ${receiver.webhook.url}
        send_resolved: false
        max_alerts: 0`;
  return `route:
  receiver: peer
  group_by: [account, task]
  group_wait: ${windowSeconds}s
  group_interval: 5m
  repeat_interval: 24h
receivers:
  - name: peer
${target}
`;
}

async function startAlertmanager(dir: string, receiver: Receiver) {
  mkdirSync(dir, { recursive: true });
  const config = path.join(dir, "alertmanager.yml");
  writeFileSync(config, alertmanagerYaml(receiver));
  const address = `127.0.0.1:${await freePort()}`;
  const daemon = await startDaemon(
    "prometheus-alertmanager",
    [
      `--config.file=${config}`,
      `--storage.path=${path.join(dir, "data")}`,
      `--web.listen-address=${address}`,
      "--cluster.listen-address=",
      "--log.level=error",
    ],
    `http://${address}/-/ready`,
  );
  return { ...daemon, url: `http://${address}` };
}

/** Post the burst to Alertmanager in chunks of 1,000, as several Prometheus servers would. */
async function postAlerts(url: string): Promise<void> {
  const alerts = burstAlerts();
  for (let i = 0; i < alerts.length; i += 1000) {
    const response = await fetch(`${url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alerts.slice(i, i + 1000)),
    });
    if (!response.ok) throw new Error(`alertmanager answered ${response.status}: ${await response.text()}`);
  }
}

/** What Alertmanager would post to the bridge: one payload per (account, task) group, 16 at a time. */
async function postPayloads(webhookUrl: string): Promise<void> {
  const byGroup = new Map<string, ReturnType<typeof burstAlerts>>();
  for (const alert of burstAlerts()) {
    const key = `${alert.labels.account}|${alert.labels.task}`;
    byGroup.set(key, [...(byGroup.get(key) ?? []), alert]);
  }
  const payloads = [...byGroup.values()].map((alerts) => {
    const [first] = alerts;
    const groupLabels = { account: first?.labels.account ?? "", task: first?.labels.task ?? "" };
    return JSON.stringify({
      version: "4",
      groupKey: `{}:{account="${groupLabels.account}", task="${groupLabels.task}"}`,
      truncatedAlerts: 0,
      status: "firing",
      receiver: "peer",
      groupLabels,
      commonLabels: groupLabels,
      commonAnnotations: {},
      externalURL: "http://alertmanager.example",
      alerts: alerts.map((a) => ({
        ...a,
        status: "firing",
        fingerprint: `${a.labels.account}-${a.labels.task}-${a.labels.host ?? ""}`,
      })),
    });
  });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < payloads.length; i = next++) {
      const response = await fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: payloads[i],
      });
      if (!response.ok) throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

export interface PeerResult {
  runs: PeerRun[];
  profile?: ProfileEntry[];
}

/** `runs` runs of each case, alternating; the last bridge-via-Alertmanager run is profiled when asked. */
export async function benchBridgePeer(options: {
  runs: number;
  direct: boolean;
  profile: boolean;
  /** Keep the bridge's profile (a .cpuprofile for Chrome's DevTools) and its outboxes in this folder. */
  keepIn?: string;
}): Promise<PeerResult> {
  const root = mkdtempSync(path.join(tmpdir(), "stoney-bench-peer-"));
  const slapd = await benchDirectory(resellers);
  const sink = await countingSink();
  const smarthost = `127.0.0.1:${sink.port}`;
  const runs: PeerRun[] = [];
  const profileDir = path.join(root, "profile");
  let profile: ProfileEntry[] | undefined;
  const cases: PeerCase[] = [
    "alertmanager email",
    "bridge via alertmanager",
    ...(options.direct ? ["bridge direct" as const] : []),
  ];
  try {
    for (let run = 1; run <= options.runs; run++)
      for (const kind of cases) {
        const dir = path.join(root, `${kind.replaceAll(" ", "-")}-${run}`);
        mkdirSync(dir);
        const profiled = options.profile && kind === "bridge via alertmanager" && run === options.runs;
        process.stderr.write(
          `bridge vs alertmanager: ${kind}, run ${run}${profiled ? " (profiled)" : ""} ...\n`,
        );
        sink.reset();
        const load = loadavg()[0] ?? 0;
        let seconds: number;
        let phases: BridgePhases | undefined;
        let directory: PeerRun["directory"];
        const cpu: PeerRun["cpu"] = {};
        if (kind === "alertmanager email") {
          const am = await startAlertmanager(path.join(dir, "am"), { email: { smarthost } });
          try {
            const amCpu = processCpuSeconds(am.pid);
            const started = performance.now();
            await postAlerts(am.url);
            await sink.settled(groups, 240_000);
            seconds = (sink.lastDelivery - started) / 1000;
            cpu.alertmanager = processCpuSeconds(am.pid) - amCpu;
          } finally {
            await am.stop();
          }
        } else {
          if (profiled) mkdirSync(profileDir);
          const config: Config = configSchema.parse({
            directory: { ...slapd.configFor() },
            bridge: {
              listen: { host: "127.0.0.1", port: 0 },
              outbox: path.join(dir, "outbox.sqlite"),
              coalesceSeconds: windowSeconds,
              smtp: { url: `smtp://${smarthost}` },
            },
          });
          const bridge = forkBridge(config, profiled ? profileDir : undefined);
          let startedAt = Date.now();
          try {
            const ready = (await bridge.next("ready")) as Extract<ChildMessage, { type: "ready" }>;
            const webhook = `${ready.url}/webhook`;
            const am =
              kind === "bridge via alertmanager"
                ? await startAlertmanager(path.join(dir, "am"), { webhook: { url: webhook } })
                : undefined;
            try {
              const amCpu = processCpuSeconds(am?.pid);
              const started = performance.now();
              startedAt = Date.now();
              if (am) await postAlerts(am.url);
              else await postPayloads(webhook);
              // A second mail for a recipient whose items straddle two windows leaves a window later.
              await sink.settled(accounts + resellers, 240_000, (windowSeconds + 2) * 1000);
              seconds = (sink.lastDelivery - started) / 1000;
              if (am) cpu.alertmanager = processCpuSeconds(am.pid) - amCpu;
            } finally {
              await am?.stop();
            }
            // Since ready: the burst and the quiet wait after it (under --cpu-prof when profiled).
            const stats = await bridge.finish();
            cpu.bridge = stats.cpuSeconds - ready.cpuSeconds;
            directory = { searches: stats.searches, entries: stats.entries };
          } finally {
            await bridge.exited();
          }
          phases = outboxPhases(config.bridge.outbox, startedAt);
          if (options.keepIn) {
            mkdirSync(options.keepIn, { recursive: true });
            copyFileSync(
              config.bridge.outbox,
              path.join(options.keepIn, `${kind.replaceAll(" ", "-")}-${run}.sqlite`),
            );
          }
          if (profiled) {
            // One profile per thread (tsx's loader has one of its own): the main thread's is the largest.
            const [file] = readdirSync(profileDir)
              .filter((name) => name.endsWith(".cpuprofile"))
              .map((name) => path.join(profileDir, name))
              .sort((a, b) => statSync(b).size - statSync(a).size);
            if (file) profile = topOfProfile(file, 15);
            if (file && options.keepIn) {
              mkdirSync(options.keepIn, { recursive: true });
              copyFileSync(file, path.join(options.keepIn, `bridge-via-alertmanager-${run}.cpuprofile`));
            }
          }
        }
        const result: PeerRun = {
          case: kind,
          run,
          seconds,
          mails: sink.delivered,
          load: [load, loadavg()[0] ?? 0],
          ...(phases ? { phases } : {}),
          ...(directory ? { directory } : {}),
          cpu,
        };
        process.stderr.write(`${JSON.stringify(result)}\n`);
        runs.push(result);
      }
    return { runs, ...(profile ? { profile } : {}) };
  } finally {
    await sink.close();
    await slapd.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}

const fixed = (n: number, digits: number) => n.toFixed(digits);

export function peerTables(result: PeerResult): string {
  const { runs } = result;
  const lines = [
    `\n## bridge vs Alertmanager's email receiver (${accounts * 5} alerts, ${accounts} accounts, ${groups} groups; ${directoryAccounts} accounts in slapd; group_wait and coalesceSeconds ${windowSeconds} s)\n`,
    "| case | run | load 1 min (start / end) | last mail s | mails | mails/s |",
    "|---|---:|---|---:|---:|---:|",
    ...runs.map(
      (r) =>
        `| ${r.case} | ${r.run} | ${fixed(r.load[0], 1)} / ${fixed(r.load[1], 1)} | ${fixed(r.seconds, 1)} | ${r.mails} | ${fixed(r.mails / r.seconds, 0)} |`,
    ),
  ];
  const am = runs.filter((r) => r.case === "alertmanager email");
  const row = (name: string, target: string, values: number[], digits = 2) =>
    values.length === 0
      ? []
      : [
          `| ${name} | ${fixed(Math.min(...values), digits)} | ${fixed(median(values), digits)} | ${fixed(Math.max(...values), digits)} | ${target} |`,
        ];
  const ofCase = (kind: PeerCase) => runs.filter((r) => r.case === kind);
  const seconds = (kind: PeerCase) => ofCase(kind).map((r) => r.seconds);
  /** The bridge's last mail after Alertmanager's own of the same round, seconds. */
  const behindAlertmanager = (kind: PeerCase) =>
    ofCase(kind).flatMap((r) => {
      const peer = am.find((a) => a.run === r.run);
      return peer ? [r.seconds - peer.seconds] : [];
    });
  const cpuOf = (kind: PeerCase, process: keyof PeerRun["cpu"]) =>
    ofCase(kind).flatMap((r) => (r.cpu[process] === undefined ? [] : [r.cpu[process]]));
  const perAlert = (kind: PeerCase, what: "searches" | "entries") =>
    ofCase(kind).flatMap((r) => (r.directory ? [r.directory[what] / (accounts * 5)] : []));
  const lags = (kind: PeerCase) => ofCase(kind).flatMap((r) => (r.phases ? [r.phases.routingLag] : []));
  const optional = (n: number | undefined, digits: number) =>
    n === undefined || Number.isNaN(n) ? "–" : fixed(n, digits);
  lines.push(
    "\nWhere the time goes (seconds from the first alert posted; the bridge's from its outbox), CPU seconds (user + system) during the run, and the directory's load:\n",
    "| case | run | last payload accepted | routed after acceptance, median | last item routed | last mail composed | last mail sent | bridge CPU s | Alertmanager CPU s | searches (entries returned) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...runs.map(
      (r) =>
        `| ${r.case} | ${r.run} | ${optional(r.phases?.accepted, 1)} | ${optional(r.phases?.routingLag, 2)} | ${optional(r.phases?.routed, 1)} | ${optional(r.phases?.composed, 1)} | ${optional(r.phases?.sent, 1)} | ${optional(r.cpu.bridge, 1)} | ${optional(r.cpu.alertmanager, 1)} | ${r.directory ? `${r.directory.searches} (${r.directory.entries})` : "–"} |`,
    ),
  );
  lines.push(
    "\nFigures (each bridge run against Alertmanager's run of the same round):\n",
    "| figure | min | median | max | target |",
    "|---|---:|---:|---:|---|",
    ...row(
      "last mail, bridge via Alertmanager after Alertmanager email, s",
      `≤ ${windowSeconds + 2} (the window + 2)`,
      behindAlertmanager("bridge via alertmanager"),
      1,
    ),
    ...row(
      "routed after acceptance, median over the alerts, s (via Alertmanager)",
      "≤ 1",
      lags("bridge via alertmanager"),
    ),
    ...row(
      "last mail, bridge direct after Alertmanager email, s",
      "",
      behindAlertmanager("bridge direct"),
      1,
    ),
    ...row("routed after acceptance, median, s (direct)", "", lags("bridge direct")),
    ...row("last mail s, bridge via Alertmanager", "", seconds("bridge via alertmanager"), 1),
    ...row("last mail s, Alertmanager email", "", seconds("alertmanager email"), 1),
    ...row("last mail s, bridge direct", "", seconds("bridge direct"), 1),
    ...row("directory searches per alert", "", perAlert("bridge via alertmanager", "searches"), 3),
    ...row("directory entries returned per alert", "", perAlert("bridge via alertmanager", "entries"), 2),
    ...row("CPU s, bridge (via Alertmanager)", "", cpuOf("bridge via alertmanager", "bridge"), 1),
    ...row("CPU s, Alertmanager (email receiver)", "", cpuOf("alertmanager email", "alertmanager"), 1),
    ...row(
      "CPU s, Alertmanager (webhook to the bridge)",
      "",
      cpuOf("bridge via alertmanager", "alertmanager"),
      1,
    ),
  );
  if (result.profile)
    lines.push(
      "\nCPU profile of the bridge in the last run via Alertmanager (self time, main thread):\n",
      "| % | function |",
      "|---:|---|",
      ...result.profile.map((entry) => `| ${fixed(entry.percent, 1)} | \`${entry.name}\` |`),
    );
  return `${lines.join("\n")}\n`;
}
