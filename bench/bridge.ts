import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Database from "better-sqlite3";
import { pino } from "pino";
import { SMTPServer } from "smtp-server";
import { directoryResolver, startBridge } from "../src/bridge/index.js";
import { SqliteOutbox } from "../src/bridge/outbox.js";
import { type Config, configSchema, isPostgresUrl } from "../src/config/index.js";
import { LdapDirectory, openDirectory } from "../src/directory/index.js";
import { startSlapd } from "../test/support/slapd.js";
import { median } from "./exporter.js";

/**
 * The bridge under a burst: one webhook payload of `alerts` firing quota alerts for distinct accounts
 * (each with its own person, `resellers` resellers) against a real slapd and an SMTP sink on loopback.
 * The bridge runs in a child process so its peak RSS is its own; slapd, the sink and the client
 * stay in this process.
 */

export interface BridgeResult {
  alerts: number;
  /** 1-minute load average at the start and at the end of the run. */
  load: [number, number];
  /** The bridge's CPU seconds (user + system) from ready until the end of the run. */
  cpuSeconds: number;
  resellers: number;
  payloadMiB: number;
  acceptMs: number;
  deliverSeconds: number;
  mails: number;
  mailsPerSecond: number;
  /** Until every alert was routed (directory look-ups done). */
  routedSeconds: number;
  /** Until the last (coalesced) mail was rendered into the outbox. */
  renderedSeconds: number;
  mailRows: number;
  searches: number;
  /** Entries the directory returned to those searches. */
  entries: number;
  peakRssMiB: number;
}

const suffix = "dc=stoney-cloud,dc=org";
const backupBase = `ou=backup,ou=services,${suffix}`;
const childFlag = "STONEY_BRIDGE_BENCH_CHILD";
const coalesceSeconds = 1;

const ou = (dn: string, name: string) =>
  `dn: ${dn}\nobjectClass: top\nobjectClass: organizationalUnit\nou: ${name}\n`;

/** Accounts 3000000+i, persons 5000000+i (de-CH, en-GB or fr-CH), resellers 4000000+i with a company mail. */
export function generateLdif(accounts: number, resellers: number): string {
  const entries = [
    `dn: ${suffix}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: stoney-cloud\no: stoney cloud\n`,
    ou(`ou=people,${suffix}`, "people"),
    ou(`ou=services,${suffix}`, "services"),
    ou(backupBase, "backup"),
    ou(`ou=accounts,${backupBase}`, "accounts"),
    ou(`ou=configuration,${backupBase}`, "configuration"),
    ou(`ou=reseller,ou=configuration,${backupBase}`, "reseller"),
  ];
  const languages = ["de-CH", "en-GB", "fr-CH"];
  for (let r = 0; r < resellers; r++) {
    const uid = 4000000 + r;
    entries.push(
      `dn: uid=${uid},ou=reseller,ou=configuration,${backupBase}\nobjectClass: top\nobjectClass: sstReseller\n` +
        `objectClass: sstAddressCompany\nuid: ${uid}\nsstBelongsToResellerUID: 4000000\nsstIsCompany: TRUE\n` +
        `o: Reseller ${r}\ngivenName: R\nsn: ${r}\nsstGender: m\nc: CH\nl: Bern\npostalCode: 3000\n` +
        `mail: support@reseller-${r}.example\npreferredLanguage: ${languages[r % 3]}\n`,
    );
  }
  for (let a = 0; a < accounts; a++) {
    const person = 5000000 + a;
    entries.push(
      `dn: uid=${person},ou=people,${suffix}\nobjectClass: top\nobjectClass: sstPerson\nuid: ${person}\n` +
        `cn: Person ${a}\ngivenName: Person\nsn: ${a}\nmail: person-${a}@customer.example\n` +
        `preferredLanguage: ${languages[a % 3]}\nsstTimeZoneOffset: +01:00\nuserPassword: {CRYPT}*\n`,
    );
    entries.push(
      `dn: uid=${3000000 + a},ou=accounts,${backupBase}\nobjectClass: top\nobjectClass: account\n` +
        `objectClass: sstRelationship\nobjectClass: sstBackupMonitorSettings\nuid: ${3000000 + a}\n` +
        `sstBackupWarningOn: TRUE\nsstBelongsToPersonUID: ${person}\nsstBelongsToResellerUID: ${4000000 + (a % resellers)}\n`,
    );
  }
  return `${entries.join("\n")}\n`;
}

export function burstPayload(alerts: number) {
  return {
    version: "4",
    groupKey: '{}:{task="quota"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "stoney-bridge",
    groupLabels: { task: "quota" },
    commonLabels: { task: "quota", severity: "warning" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example",
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status: "firing",
      labels: {
        alertname: "StoneyBackupQuotaHigh",
        task: "quota",
        severity: "warning",
        account: String(3000000 + i),
        host: `pc-${i}`,
      },
      annotations: {
        summary: `Backup account ${3000000 + i} uses 93% of its quota`,
        used_bytes: "9990000000",
        quota_bytes: "10737418240",
        used_ratio: "0.93",
        warning_ratio: "0.85",
      },
      startsAt: "2026-11-26T10:00:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus.example/graph",
      fingerprint: (0x1000000 + i).toString(16),
    })),
  };
}

/** The process's CPU time so far (user + system, all threads), seconds. */
export const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export type ChildMessage =
  | { type: "ready"; url: string; cpuSeconds: number }
  | ({
      type: "stats";
      searches: number;
      /** Entries the directory returned. */
      entries: number;
      peakRssKiB: number;
      statements: number;
      cpuSeconds: number;
    } & Phases);

interface Phases {
  routedSeconds: number;
  renderedSeconds: number;
  /** Mails rendered: 11,000 when each reseller's 10 accounts fell into one coalescing window. */
  mailRows: number;
}

/** Seconds from accepting the burst until the last alert was routed and the last mail rendered. */
function phases(db: Database.Database): Phases {
  const row = db
    .prepare(
      `SELECT (SELECT MIN(received_at) FROM notifications) AS accepted,
        (SELECT MAX(created_at) FROM items) AS routed, (SELECT MAX(created_at) FROM mails) AS rendered,
        (SELECT COUNT(*) FROM mails) AS mails`,
    )
    .get() as { accepted: number; routed: number; rendered: number; mails: number };
  return {
    routedSeconds: (row.routed - row.accepted) / 1000,
    renderedSeconds: (row.rendered - row.accepted) / 1000,
    mailRows: row.mails,
  };
}

/** The child: the bridge with a counting LDAP directory; answers "stats" when asked. */
async function runChild(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? "{}") as Config;
  const logger = pino(
    { level: "info" },
    pino.destination({
      dest: path.join(
        isPostgresUrl(config.bridge.outbox) ? tmpdir() : path.dirname(config.bridge.outbox),
        "bridge.log",
      ),
    }),
  );
  const directory = openDirectory(config.directory, logger);
  const bridge = await startBridge(config, logger, {
    resolver: directoryResolver(directory, config.directory),
  });
  const send = (message: ChildMessage) => process.send?.(message);
  process.on("message", async (message: { type: string }) => {
    if (message.type !== "stats") return;
    send({
      type: "stats",
      cpuSeconds: cpuSeconds(),
      searches: directory instanceof LdapDirectory ? directory.searches : -1,
      entries: directory instanceof LdapDirectory ? directory.entriesReturned : -1,
      ...(bridge.outbox instanceof SqliteOutbox
        ? phases(bridge.outbox.db)
        : { routedSeconds: Number.NaN, renderedSeconds: Number.NaN, mailRows: Number.NaN }),
      peakRssKiB: process.resourceUsage().maxRSS,
      statements: bridge.outbox.statements,
    });
    await bridge.close();
    await directory.close();
    process.exit(0);
  });
  send({ type: "ready", url: bridge.url, cpuSeconds: cpuSeconds() });
}

/** An SMTP sink on loopback that counts what it is given. */
export async function countingSink() {
  let delivered = 0;
  let lastDelivery = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () => {
        delivered++;
        lastDelivery = performance.now();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.server.address() as { port: number }).port,
    get delivered() {
      return delivered;
    },
    /** performance.now() of the last mail taken. */
    get lastDelivery() {
      return lastDelivery;
    },
    reset() {
      delivered = 0;
      lastDelivery = 0;
    },
    /**
     * Until `expected` mails came and then `quietMs` of quiet (a recipient whose items straddle two
     * windows gets a second mail, a window later), or 10 s of quiet after fewer, or the timeout.
     */
    async settled(expected: number, timeoutMs: number, quietMs = 2000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      const quiet = () => performance.now() - lastDelivery;
      while (Date.now() < deadline) {
        if (delivered >= expected && quiet() > quietMs) return;
        if (delivered > 0 && quiet() > 10_000) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The bridge in a child process (optionally under --cpu-prof); `finish` asks for its stats and ends it. */
export function forkBridge(config: Config, profileDir?: string) {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(config)], {
    env: { ...process.env, [childFlag]: "1" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [...process.execArgv, ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])],
  });
  const next = (type: ChildMessage["type"]) =>
    new Promise<ChildMessage>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`bridge child exited with ${code}`)));
      child.on("message", (message: ChildMessage) => {
        if (message.type === type) resolve(message);
      });
    });
  return {
    child,
    next,
    async finish() {
      const stats = next("stats");
      child.send({ type: "stats" });
      return (await stats) as Extract<ChildMessage, { type: "stats" }>;
    },
    async exited() {
      if (child.exitCode === null)
        await Promise.race([
          new Promise((resolve) => child.once("exit", resolve)),
          new Promise((resolve) => setTimeout(resolve, 10_000)),
        ]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** Accounts in slapd for every bridge case: a burst concerns some of them, as on a real service. */
export const directoryAccounts = 50_000;

/** slapd holding `directoryAccounts` accounts and `resellers` resellers (loading takes a while: once per part). */
export async function benchDirectory(resellers: number) {
  process.stderr.write(`loading ${directoryAccounts} accounts and ${resellers} resellers into slapd ...\n`);
  const started = performance.now();
  const slapd = await startSlapd({ ldif: [generateLdif(directoryAccounts, resellers)] });
  process.stderr.write(`slapd ready in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return slapd;
}

/** One burst through one bridge on a SQLite outbox. */
async function burstOnce(
  slapd: Awaited<ReturnType<typeof benchDirectory>>,
  alerts: number,
  resellers: number,
): Promise<BridgeResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-bench-bridge-"));
  const sink = await countingSink();
  const config = configSchema.parse({
    directory: { ...slapd.configFor() },
    bridge: {
      listen: { port: 0 },
      outbox: path.join(dir, "outbox.sqlite"),
      coalesceSeconds,
      smtp: { url: `smtp://127.0.0.1:${sink.port}` },
    },
  });
  const bridge = forkBridge(config);
  try {
    const ready = (await bridge.next("ready")) as Extract<ChildMessage, { type: "ready" }>;
    const body = JSON.stringify(burstPayload(alerts));
    const expectedMails = alerts + resellers;
    process.stderr.write(`bridge: posting ${alerts} alerts, waiting for ${expectedMails} mails ...\n`);
    const load = loadavg()[0] ?? 0;
    const started = performance.now();
    const response = await fetch(`${ready.url}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const acceptMs = performance.now() - started;
    if (response.status !== 200)
      throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
    await sink.settled(expectedMails, 300_000);
    const deliverSeconds = (sink.lastDelivery - started) / 1000;
    const stats = await bridge.finish();
    return {
      alerts,
      resellers,
      load: [load, loadavg()[0] ?? 0],
      payloadMiB: body.length / 2 ** 20,
      acceptMs,
      deliverSeconds,
      mails: sink.delivered,
      mailsPerSecond: sink.delivered / deliverSeconds,
      routedSeconds: stats.routedSeconds,
      renderedSeconds: stats.renderedSeconds,
      mailRows: stats.mailRows,
      searches: stats.searches,
      entries: stats.entries,
      cpuSeconds: stats.cpuSeconds - ready.cpuSeconds,
      peakRssMiB: stats.peakRssKiB / 1024,
    };
  } finally {
    await bridge.exited();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `runs` bursts, each through a fresh bridge, against one slapd holding `directoryAccounts` accounts. */
export async function benchBridge(runs: number, alerts = 10_000, resellers = 1_000): Promise<BridgeResult[]> {
  const slapd = await benchDirectory(resellers);
  try {
    const results: BridgeResult[] = [];
    for (let run = 1; run <= runs; run++) {
      process.stderr.write(`bridge: run ${run} of ${runs}\n`);
      results.push(await burstOnce(slapd, alerts, resellers));
    }
    return results;
  } finally {
    await slapd.dispose();
  }
}

const fixed = (n: number, digits: number) => n.toFixed(digits);

/** min / median / max of `values`. */
export const spread = (values: readonly number[], digits: number): string =>
  values.length === 0
    ? "–"
    : `${fixed(Math.min(...values), digits)} / ${fixed(median([...values]), digits)} / ${fixed(Math.max(...values), digits)}`;

export function bridgeTable(rows: readonly BridgeResult[]): string {
  const lines = [
    "| run | load 1 min (start / end) | alerts (payload MiB) | resellers | webhook accept ms | all routed s | all rendered s | all mails delivered s | mails rendered / accepted by SMTP | mails/s | bridge CPU s | directory searches (entries) | accounts per search | peak RSS MiB (bridge) |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r, i) =>
        `| ${i + 1} | ${fixed(r.load[0], 1)} / ${fixed(r.load[1], 1)} | ${r.alerts} (${fixed(r.payloadMiB, 1)}) | ${r.resellers} | ${fixed(r.acceptMs, 0)} | ${fixed(r.routedSeconds, 1)} | ${fixed(r.renderedSeconds, 1)} | ${fixed(r.deliverSeconds, 1)} | ${r.mailRows} / ${r.mails} | ${fixed(r.mailsPerSecond, 0)} | ${fixed(r.cpuSeconds, 1)} | ${r.searches} (${r.entries}) | ${fixed(r.alerts / r.searches, 1)} | ${fixed(r.peakRssMiB, 0)} |`,
    ),
    "",
    `Over ${rows.length} run(s), min / median / max:\n`,
    "| figure | min / median / max |",
    "|---|---|",
    `| all mails delivered s | ${spread(
      rows.map((r) => r.deliverSeconds),
      1,
    )} |`,
    `| all routed s | ${spread(
      rows.map((r) => r.routedSeconds),
      1,
    )} |`,
    `| bridge CPU s | ${spread(
      rows.map((r) => r.cpuSeconds),
      1,
    )} |`,
    `| peak RSS MiB | ${spread(
      rows.map((r) => r.peakRssMiB),
      0,
    )} |`,
  ];
  return lines.join("\n");
}

/** The bridge's section of `npm run bench`. */
export async function bridgeSection(runs: number, alerts = 10_000, resellers = 1_000): Promise<void> {
  const results = await benchBridge(runs, alerts, resellers);
  process.stdout.write(
    `\n## bridge (one burst of ${alerts} alerts; ${directoryAccounts} accounts in slapd; coalesce window ${coalesceSeconds} s, other settings default)\n\n${bridgeTable(results)}\n`,
  );
}

if (process.env[childFlag] === "1") await runChild();
else if (process.argv[1] === fileURLToPath(import.meta.url)) await bridgeSection(3);
