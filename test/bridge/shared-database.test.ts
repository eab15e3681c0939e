import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBridge, startBridge } from "../../src/bridge/index.js";
import { createPool, PostgresOutbox } from "../../src/bridge/postgres.js";
import type { Config } from "../../src/config/index.js";
import { bridgePartsOf, openSelfcareStore, type SelfcareStore } from "../../src/selfcare/index.js";
import { PostgresSelfcareStore } from "../../src/selfcare/postgres-store.js";
import type { Migration } from "../../src/store/migrations.js";
import { postgresMigrations } from "../../src/store/postgres.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";
import {
  alert,
  captureLogger,
  payload,
  post,
  type SmtpSink,
  smtpSink,
  testConfig,
  waitFor,
} from "./support.js";

const token = "shared-start";
const operators = ["ops1@backup.example", "ops2@backup.example", "ops3@backup.example"];
const accounts = ["3723701", "3723702", "3723703", "3723704", "3723705"];

/** A bridge as `stoney-backup-monitor bridge` composes it: the self-care store (pauses) first, then the bridge. */
interface Instance {
  bridge: RunningBridge;
  store: SelfcareStore;
  lines: Array<Record<string, unknown>>;
}

async function startInstance(config: Config): Promise<Instance> {
  const { logger, lines } = captureLogger("warn");
  const store = openSelfcareStore(config);
  try {
    const bridge = await startBridge(config, logger, {
      ...bridgePartsOf(store),
    });
    return { bridge, store, lines };
  } catch (error) {
    await store.close();
    throw error;
  }
}

async function stopInstance(instance: Instance): Promise<void> {
  await instance.bridge.close();
  await instance.store.close();
}

/**
 * Operator alerts that carry an account: no directory look-up, but every routing round asks the
 * self-care store whether the account is paused, as customer alerts do. Each mail names its problems.
 */
const problem = (name: string, account: string) =>
  alert({
    account,
    fingerprint: name,
    labels: { audience: "operator", instance: name },
    annotations: { summary: `${name} is down` },
  });

/** How many times each (recipient, problem) pair was mailed; every pair of `problems` appears. */
function pairCounts(sink: SmtpSink, problems: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const to of operators) for (const name of problems) counts.set(`${to} ${name}`, 0);
  for (const mail of sink.mails)
    for (const to of mail.envelopeTo)
      for (const name of problems)
        if ((mail.parsed.text ?? "").includes(`${name} is down`))
          counts.set(`${to} ${name}`, (counts.get(`${to} ${name}`) ?? 0) + 1);
  return counts;
}

const pairsNotOnce = (counts: Map<string, number>) => [...counts].filter(([, n]) => n !== 1);

describe.skipIf(!requirePostgres())("bridges on one PostgreSQL database", () => {
  let server: Postgres;
  let sink: SmtpSink;
  let databases = 0;

  const configFor = (url: string, overrides: Record<string, unknown> = {}): Config =>
    testConfig({
      dir: "/nonexistent",
      bridge: {
        listen: { host: "127.0.0.1", port: 0 },
        auth: { bearerToken: token },
        outbox: url,
        postgres: { leaseSeconds: 3, poolSize: 3 },
        coalesceSeconds: 0,
        smtp: { url: sink.url, maxConnections: 2 },
        operators,
        ...overrides,
      },
    });
  const postTo = async (instance: Instance, alerts: Array<Record<string, unknown>>) => {
    const answer = await post(`${instance.bridge.url}/webhook`, payload(alerts), {
      authorization: `Bearer ${token}`,
    });
    expect(answer.status).toBe(200);
  };

  beforeAll(async () => {
    server = await startPostgres();
    sink = await smtpSink();
  });
  afterAll(async () => {
    await sink?.stop();
    await server?.dispose();
  });

  it("three bridges started in the same instant on an empty database mail every pair once, 20 times over", async () => {
    const repetitions = 20;
    const restartDuring = 7;
    /** What each repetition came to: "delivered", or why not. */
    const outcomes: string[] = [];
    for (let repetition = 0; repetition < repetitions; repetition++) {
      sink.mails.length = 0;
      const url = await server.createDatabase(`start_${databases++}`);
      const configs = [0, 1, 2].map(() => configFor(url));
      const started = await Promise.allSettled(configs.map(startInstance));
      const instances = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      try {
        const refused = started.flatMap((s) => (s.status === "rejected" ? [String(s.reason)] : []));
        if (refused.length > 0) {
          outcomes.push(`start refused: ${refused[0]}`);
          continue;
        }
        // Each instance gets its own share of the burst, and one share goes to all three at once
        // (Alertmanagers racing), which the shared dedupe stores once.
        const problems: string[] = [];
        const share = (name: string) =>
          Array.from({ length: 6 }, (_, i) => {
            problems.push(`${name}-${repetition}-${i}`);
            return problem(`${name}-${repetition}-${i}`, accounts[i % accounts.length] as string);
          });
        const own = instances.map((_, i) => share(`own${i}`));
        const common = share("common");
        await Promise.all([
          ...instances.map((instance, i) => postTo(instance, own[i] ?? [])),
          ...instances.map((instance) => postTo(instance, common)),
        ]);
        if (repetition === restartDuring) {
          await server.stop();
          await server.start();
        }
        const delivered = await waitFor(
          "every pair mailed",
          () => [...pairCounts(sink, problems).values()].every((n) => n > 0),
          20_000,
        ).catch(() => false);
        if (!delivered) {
          const failed = instances
            .flatMap((i) => i.lines)
            .find((l) => l.msg === "bridge pipeline round failed; trying again");
          const missing = [...pairCounts(sink, problems).values()].filter((n) => n === 0).length;
          outcomes.push(
            `${missing} pairs not mailed${failed ? `; ${String((failed.err as { message?: string })?.message)}` : ""}`,
          );
          continue;
        }
        // Whatever is still on its way (a retry, a second mail) lands before the pairs are counted.
        await waitFor("all three outboxes settled", async () => {
          for (const { bridge } of instances) {
            const stats = await bridge.outbox.stats();
            if (stats.pendingAlerts + stats.queuedItems + stats.pendingMails > 0) return false;
          }
          return true;
        });
        const twice = pairsNotOnce(pairCounts(sink, problems));
        outcomes.push(twice.length === 0 ? "delivered" : `${twice.length} pairs mailed more than once`);
      } finally {
        await Promise.all(instances.map(stopInstance));
      }
    }
    expect(outcomes).toEqual(Array.from({ length: repetitions }, () => "delivered"));
  }, 400_000);

  /** Run statements on a database as the superuser. */
  const sql = async (url: string, ...statements: string[]) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  };

  it("adopts the self-care tables an earlier version made outside the migrations, keeping their rows", async () => {
    const url = await server.createDatabase(`start_${databases++}`);
    // The database as an earlier version left it: the outbox migrations before the self-care one, and
    // the portal's tables made by the portal itself (the same statements, then run outside the migrations).
    const selfcare = postgresMigrations.find((m) => m.name.startsWith("self-care")) as Migration;
    const before = postgresMigrations.filter((m) => m.version < selfcare.version);
    await sql(
      url,
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
      ...before.flatMap((m) => [m.sql, `INSERT INTO schema_migrations VALUES (${m.version}, 'earlier', 0)`]),
      selfcare.sql,
      `INSERT INTO selfcare_pauses (account, created_by, created_at, until) VALUES ('3723701', 'p', 1, ${Date.now() + 3_600_000})`,
    );
    const outbox = await PostgresOutbox.open({
      url,
      poolSize: 2,
      leaseMs: 3000,
      messageDomain: "backup.example",
      migrate: true,
    });
    expect(outbox.migration.applied[0]?.name).toBe(selfcare.name);
    await outbox.close();
    const store = new PostgresSelfcareStore(createPool({ url, poolSize: 2 }), { migrate: false });
    expect([...(await store.activePauses(["3723701"], Date.now())).keys()]).toEqual(["3723701"]);
    await store.close();
  });

  it("a self-care store whose first query met the database down works once it is back", async () => {
    const url = await server.createDatabase(`start_${databases++}`);
    await server.stop();
    const store = new PostgresSelfcareStore(createPool({ url, poolSize: 2 }));
    try {
      await expect(store.activePauses(["3723701"], Date.now())).rejects.toThrow();
    } finally {
      await server.start();
    }
    expect((await store.activePauses(["3723701"], Date.now())).size).toBe(0);
    await store.close();
  });

  it("an instance whose rounds keep failing holds no alerts and reports 503; the healthy one mails everything", async () => {
    const url = await server.createDatabase(`start_${databases++}`);
    const healthy = await startInstance(configFor(url));
    // Its own database role lacks one table, so every round of the failing instance fails: routing
    // after it claimed alerts, coalescing with nothing to route.
    await sql(
      url,
      "CREATE ROLE stuck LOGIN",
      "GRANT ALL ON ALL TABLES IN SCHEMA public TO stuck",
      "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO stuck",
      "REVOKE ALL ON items FROM stuck",
    );
    const failing = await startInstance(configFor(url.replace("postgres@", "stuck@")));
    const instances = [healthy, failing];
    try {
      const problems: string[] = [];
      const burst = (name: string) =>
        Array.from({ length: 10 }, (_, i) => {
          problems.push(`${name}-${i}`);
          return problem(`${name}-${i}`, accounts[i % accounts.length] as string);
        });
      // Most of the burst goes to the failing instance, which claims it first (an accepted payload
      // wakes its routing at once).
      for (let round = 0; round < 3; round++) await postTo(failing, burst(`failing-${round}`));
      await postTo(healthy, burst("healthy"));
      await waitFor("every pair mailed", () => [...pairCounts(sink, problems).values()].every((n) => n > 0));
      const readiness = await waitFor("the failing instance not ready", async () => {
        const answer = await fetch(`${failing.bridge.url}/readyz`);
        return answer.status === 503 && answer.text();
      });
      expect(readiness).toMatch(
        /^not ready: routing rounds failing since .*: permission denied for table items/,
      );
      const metrics = await (await fetch(`${failing.bridge.url}/metrics`)).text();
      expect(metrics).toMatch(/^stoney_backup_bridge_pipeline_stalled 1$/m);
      expect(failing.lines.map((l) => l.msg)).toContain(
        "bridge pipeline cannot make progress: not ready, and its alerts are left to other instances",
      );
      expect((await fetch(`${healthy.bridge.url}/readyz`)).status).toBe(200);
      await waitFor("both outboxes settled", async () => {
        const stats = await healthy.bridge.outbox.stats();
        return stats.pendingAlerts + stats.queuedItems + stats.pendingMails === 0;
      });
      expect(pairsNotOnce(pairCounts(sink, problems))).toEqual([]);

      // Given its table back, it works again by itself.
      await sql(url, "GRANT ALL ON items TO stuck");
      await waitFor(
        "the failing instance ready again",
        async () => (await fetch(`${failing.bridge.url}/readyz`)).ok,
      );
      expect(await (await fetch(`${failing.bridge.url}/metrics`)).text()).toMatch(
        /^stoney_backup_bridge_pipeline_stalled 0$/m,
      );
    } finally {
      await Promise.all(instances.map(stopInstance));
    }
  }, 120_000);
});
