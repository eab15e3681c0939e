import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { configSchema } from "../src/config/index.js";
import { startPostgres } from "../test/support/postgres.js";
import { startSlapd } from "../test/support/slapd.js";
import { burstPayload, type ChildMessage, countingSink, forkBridge, generateLdif } from "./bridge.js";

/**
 * The same burst as the bridge benchmark (10,000 quota alerts, 1,000 resellers, real slapd, an SMTP
 * sink) through one bridge on a SQLite outbox and through two bridges sharing one PostgreSQL (durable:
 * fsync and synchronous commits on), half of the burst posted to each, in the same run.
 */
export interface HaResult {
  setup: string;
  bridges: number;
  deliverSeconds: number;
  mails: number;
  mailsPerSecond: number;
  peakRssMiB: number[];
  /** Statements sent to the store (PostgreSQL: round trips) per delivered mail, all instances together. */
  statementsPerMail: number;
}

const coalesceSeconds = 1;

export async function benchHa(alerts = 10_000, resellers = 1_000): Promise<HaResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-bench-ha-"));
  process.stderr.write(`ha: loading ${alerts} accounts and ${resellers} resellers into slapd ...\n`);
  const slapd = await startSlapd({ ldif: [generateLdif(alerts, resellers)] });
  const postgres = await startPostgres({ durable: true });
  const sink = await countingSink();
  const burst = burstPayload(alerts);
  const run = async (setup: string, outbox: string, bridges: number): Promise<HaResult> => {
    const config = configSchema.parse({
      directory: { ...slapd.configFor() },
      bridge: {
        listen: { port: 0 },
        outbox,
        coalesceSeconds,
        smtp: { url: `smtp://127.0.0.1:${sink.port}` },
      },
    });
    sink.reset();
    const children = Array.from({ length: bridges }, () => forkBridge(config));
    try {
      const urls = await Promise.all(
        children.map(async (c) => ((await c.next("ready")) as Extract<ChildMessage, { type: "ready" }>).url),
      );
      const share = Math.ceil(alerts / bridges);
      const bodies = urls.map((_, i) =>
        JSON.stringify({ ...burst, alerts: burst.alerts.slice(i * share, (i + 1) * share) }),
      );
      process.stderr.write(`ha: ${setup}: posting ${alerts} alerts to ${bridges} bridge(s) ...\n`);
      const started = performance.now();
      const answers = await Promise.all(
        urls.map((url, i) =>
          fetch(`${url}/webhook`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: bodies[i] ?? "",
          }),
        ),
      );
      for (const answer of answers)
        if (answer.status !== 200)
          throw new Error(`webhook answered ${answer.status}: ${await answer.text()}`);
      await sink.settled(alerts + resellers, 300_000);
      const deliverSeconds = (sink.lastDelivery - started) / 1000;
      const stats = [];
      for (const child of children) stats.push(await child.finish());
      return {
        setup,
        bridges,
        deliverSeconds,
        mails: sink.delivered,
        mailsPerSecond: sink.delivered / deliverSeconds,
        peakRssMiB: stats.map((s) => s.peakRssKiB / 1024),
        statementsPerMail: stats.reduce((sum, s) => sum + s.statements, 0) / sink.delivered,
      };
    } finally {
      for (const child of children) await child.exited();
    }
  };
  try {
    return [
      await run("SQLite", path.join(dir, "outbox.sqlite"), 1),
      await run("PostgreSQL", await postgres.createDatabase("outbox"), 2),
    ];
  } finally {
    await sink.close();
    await postgres.dispose();
    await slapd.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function haTable(rows: readonly HaResult[]): string {
  const [sqlite] = rows;
  const lines = [
    "| outbox | bridges | time to last mail s | mails | mails/s | vs SQLite | peak RSS MiB per bridge | store statements per mail |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.setup} | ${r.bridges} | ${r.deliverSeconds.toFixed(1)} | ${r.mails} | ${r.mailsPerSecond.toFixed(0)} | ${sqlite ? (r.deliverSeconds / sqlite.deliverSeconds).toFixed(2) : "-"}x | ${r.peakRssMiB.map((m) => m.toFixed(0)).join(", ")} | ${r.statementsPerMail.toFixed(2)} |`,
    ),
  ];
  return `\n## bridge HA: one bridge on SQLite against two on PostgreSQL\n\n${lines.join("\n")}\n`;
}
