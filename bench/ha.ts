import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { configSchema } from "../src/config/index.js";
import { startPostgres } from "../test/support/postgres.js";
import {
  benchDirectory,
  burstPayload,
  type ChildMessage,
  countingSink,
  directoryAccounts,
  forkBridge,
  spread,
} from "./bridge.js";

/**
 * The same burst as the bridge benchmark (10,000 quota alerts, 1,000 resellers, real slapd, an SMTP
 * sink) through one bridge on a SQLite outbox and through two bridges sharing one PostgreSQL (durable:
 * fsync and synchronous commits on), half of the burst posted to each, in the same run.
 */
export interface HaResult {
  setup: string;
  run: number;
  /** 1-minute load average at the start and at the end of the run. */
  load: [number, number];
  bridges: number;
  deliverSeconds: number;
  mails: number;
  mailsPerSecond: number;
  peakRssMiB: number[];
  /** Statements sent to the store (PostgreSQL: round trips) per delivered mail, all instances together. */
  statementsPerMail: number;
}

const coalesceSeconds = 1;

/** `runs` rounds of both setups, alternating, against one slapd holding the directory's 50,000 accounts. */
export async function benchHa(runs: number, alerts = 10_000, resellers = 1_000): Promise<HaResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-bench-ha-"));
  const slapd = await benchDirectory(resellers);
  const postgres = await startPostgres({ durable: true });
  const sink = await countingSink();
  const burst = burstPayload(alerts);
  const run = async (setup: string, round: number, outbox: string, bridges: number): Promise<HaResult> => {
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
      const load = loadavg()[0] ?? 0;
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
        run: round,
        load: [load, loadavg()[0] ?? 0],
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
    const results: HaResult[] = [];
    for (let round = 1; round <= runs; round++) {
      rmSync(path.join(dir, "outbox"), { recursive: true, force: true });
      mkdirSync(path.join(dir, "outbox"));
      results.push(await run("SQLite", round, path.join(dir, "outbox", "outbox.sqlite"), 1));
      results.push(await run("PostgreSQL", round, await postgres.createDatabase(`outbox${round}`), 2));
    }
    return results;
  } finally {
    await sink.close();
    await postgres.dispose();
    await slapd.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function haTable(rows: readonly HaResult[]): string {
  const sqliteOf = (run: number) => rows.find((r) => r.setup === "SQLite" && r.run === run);
  const vsSqlite = (r: HaResult) => r.deliverSeconds / (sqliteOf(r.run)?.deliverSeconds ?? Number.NaN);
  const lines = [
    "| run | outbox | bridges | load 1 min (start / end) | time to last mail s | mails | mails/s | vs SQLite | peak RSS MiB per bridge | store statements per mail |",
    "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.run} | ${r.setup} | ${r.bridges} | ${r.load[0].toFixed(1)} / ${r.load[1].toFixed(1)} | ${r.deliverSeconds.toFixed(1)} | ${r.mails} | ${r.mailsPerSecond.toFixed(0)} | ${vsSqlite(r).toFixed(2)}x | ${r.peakRssMiB.map((m) => m.toFixed(0)).join(", ")} | ${r.statementsPerMail.toFixed(2)} |`,
    ),
    "",
    "Min / median / max over the runs:\n",
    "| outbox | time to last mail s | vs SQLite |",
    "|---|---|---|",
    ...["SQLite", "PostgreSQL"].map((setup) => {
      const these = rows.filter((r) => r.setup === setup);
      return `| ${setup} | ${spread(
        these.map((r) => r.deliverSeconds),
        1,
      )} | ${spread(these.map(vsSqlite), 2)} |`;
    }),
  ];
  return `\n## bridge HA: one bridge on SQLite against two on PostgreSQL (${directoryAccounts} accounts in slapd)\n\n${lines.join("\n")}\n`;
}
